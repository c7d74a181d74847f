#include "http/beast_request.h"

#include <cctype>

namespace licsat::http {

Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& msg, std::string peer) {
  Request req;
  req.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = std::move(msg.body());
  req.peer = std::move(peer);
  return req;
}

}  // namespace licsat::http
