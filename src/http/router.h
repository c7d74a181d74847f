// Maps (method, path) to a handler. Patterns are literal segments and {name} parameters:
// "/api/v1/accounts/{account}/licenses". A path that matches with another method gets 405.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace licsat::http {

using Handler = std::function<Response(Request&)>;

// A route's check of a request's header, run by the server before it reads any body byte or
// invites the body with 100 Continue: `req` has its method, path, query, headers and peer, no
// body. A Response refuses the request; it is sent as is (a body announced is never read, and
// the connection is closed after it). Otherwise the check may leave what it learned in
// req.context for the handler (the caller a bearer token names, so it is checked once).
using Precheck = std::function<std::optional<Response>(Request&)>;

// A handler and the header check that guards it (see Precheck).
struct GuardedHandler {
  Handler handler;
  Precheck precheck;
};

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  int64_t max_body = 0;  // 0: the server's default limit
  // Runs on the I/O thread whatever its method: the handler never blocks (what would, it
  // defers). Other writes run on the worker pool, reads on the I/O thread.
  bool inline_handler = false;
  Precheck precheck;  // may be empty
  std::vector<std::string> segments;
};

struct Match {
  const Route* route = nullptr;  // null: no route for this path and method
  bool path_known = false;       // some route has this path (so 405, not 404)
  std::string allow;             // methods the path has, for 405's Allow header
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler h, int64_t max_body = 0);
  // A route whose requests are checked on their header first (see Precheck).
  void add(std::string method, std::string pattern, GuardedHandler h, int64_t max_body = 0);
  // A route whose handler never blocks (see Route::inline_handler).
  void add_inline(std::string method, std::string pattern, Handler h);
  // Finds the route and fills req.params.
  Match match(Request& req) const;
  // The route a request line would reach, before the body is read (null: none).
  const Route* find(const std::string& method, const std::string& path) const;
  // The body limit of the route a request line would reach, before the body is read.
  int64_t body_limit(const std::string& method, const std::string& path, int64_t fallback) const;
  const std::vector<Route>& routes() const { return routes_; }
  // Serves a request: 404/405 when nothing matches.
  Response dispatch(Request& req, std::string* route_pattern) const;
  // Serves a request already matched by match().
  Response dispatch(Request& req, const Match& m, std::string* route_pattern) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace licsat::http
