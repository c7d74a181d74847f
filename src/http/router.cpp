#include "http/router.h"

namespace licsat::http {
namespace {

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') { ++i; continue; }
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.emplace_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

// A route of this method answers the request: HEAD is answered wherever GET is (RFC 9110
// §9.3.2), by the GET handler; the server drops the body and keeps its length.
bool serves(const Route& r, const std::string& method, bool head_route_exists) {
  return r.method == method || (method == "HEAD" && !head_route_exists && r.method == "GET");
}

bool matches(const Route& r, const std::vector<std::string>& segs, std::map<std::string, std::string>* params) {
  if (r.segments.size() != segs.size()) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const auto& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segs[i].empty()) return false;
      if (params) (*params)[p.substr(1, p.size() - 2)] = url_decode(segs[i]);
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler h, int64_t max_body) {
  Route r{std::move(method), std::move(pattern), std::move(h), max_body, false, {}, {}};
  r.segments = split_path(r.pattern);
  routes_.push_back(std::move(r));
}

void Router::add(std::string method, std::string pattern, GuardedHandler h, int64_t max_body) {
  add(std::move(method), std::move(pattern), std::move(h.handler), max_body);
  routes_.back().precheck = std::move(h.precheck);
}

Match Router::match(Request& req) const {
  Match m;
  auto segs = split_path(req.path);
  bool head_route = false;
  for (const auto& r : routes_)
    if (r.method == "HEAD" && matches(r, segs, nullptr)) head_route = true;
  for (const auto& r : routes_) {
    if (!matches(r, segs, nullptr)) continue;
    m.path_known = true;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += r.method;
    if (r.method == "GET" && !head_route) m.allow += ", HEAD";
    if (serves(r, req.method, head_route) && !m.route) {
      m.route = &r;
      matches(r, segs, &req.params);
    }
  }
  return m;
}

const Route* Router::find(const std::string& method, const std::string& path) const {
  auto segs = split_path(path);
  for (const auto& r : routes_)
    if (r.method == method && matches(r, segs, nullptr)) return &r;
  if (method == "HEAD") return find("GET", path);
  return nullptr;
}

int64_t Router::body_limit(const std::string& method, const std::string& path, int64_t fallback) const {
  const Route* r = find(method, path);
  return r && r->max_body > 0 ? r->max_body : fallback;
}

void Router::add_inline(std::string method, std::string pattern, Handler h) {
  add(std::move(method), std::move(pattern), std::move(h));
  routes_.back().inline_handler = true;
}

Response Router::dispatch(Request& req, std::string* route_pattern) const {
  return dispatch(req, match(req), route_pattern);
}

Response Router::dispatch(Request& req, const Match& m, std::string* route_pattern) const {
  if (m.route) {
    if (route_pattern) *route_pattern = m.route->pattern;
    return m.route->handler(req);
  }
  if (m.path_known) {
    if (route_pattern) *route_pattern = "(method not allowed)";
    auto r = error_response(405, "method_not_allowed", "Method " + req.method + " is not allowed here; use " + m.allow + ".");
    r.set("Allow", m.allow);
    return r;
  }
  if (route_pattern) *route_pattern = "(not found)";
  return error_response(404, "not_found", "No such endpoint: " + req.method + " " + req.path);
}

}  // namespace licsat::http
