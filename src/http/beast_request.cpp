#include "http/beast_request.h"

#include <cctype>

namespace licsat::http {

Request request_head(const boost::beast::http::request_header<>& head, std::string peer) {
  Request req;
  req.method = std::string(head.method_string());
  std::string_view target = head.target();
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& f : head) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.peer = std::move(peer);
  return req;
}

Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& msg, std::string peer) {
  Request req = request_head(msg.base(), std::move(peer));
  req.body = std::move(msg.body());
  return req;
}

}  // namespace licsat::http
