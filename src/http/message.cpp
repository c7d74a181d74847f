#include "http/message.h"

#include <cctype>
#include <future>

#include <nlohmann/json.hpp>

namespace licsat::http {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response defer(std::function<void(Respond)> fn, bool blocks) {
  Response r;
  r.deferred = std::move(fn);
  r.deferred_blocks = blocks;
  return r;
}

Response settle(Response r) {
  if (r.deferred) {
    std::promise<Response> answer;
    auto later = answer.get_future();
    auto fn = std::move(r.deferred);
    fn([&answer](Response x) { answer.set_value(std::move(x)); });
    r = later.get();
  }
  if (r.stream) {
    auto next = std::move(r.stream);
    r.stream = nullptr;
    for (std::string chunk; next(chunk); chunk.clear()) r.body += chunk;
  }
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message) {
  nlohmann::json j = {{"error", code}, {"error_description", message}, {"error_message", message}};
  return json_response(status, j);
}

namespace {
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool auth_scheme_is(std::string_view v, std::string_view scheme) {
  if (v.size() <= scheme.size() || v[scheme.size()] != ' ') return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != std::tolower(static_cast<unsigned char>(scheme[i])))
      return false;
  return true;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1 + 0 && hexval(s[i + 1]) >= 0 &&
               hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view s) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t amp = s.find('&', start);
    if (amp == std::string_view::npos) amp = s.size();
    auto pair = s.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string k = url_decode(pair.substr(0, eq));
      std::string v = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
      if (!k.empty()) out.emplace(std::move(k), std::move(v));
    }
    start = amp + 1;
  }
  return out;
}

}  // namespace licsat::http
