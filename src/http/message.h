// The HTTP layer's own request and response: plain values with no Beast types, so that routes,
// handlers and their tests never include Beast.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace licsat::http {

struct Request {
  std::string method;     // "GET", "POST", …
  std::string path;       // decoded-free path, without the query
  std::string query;      // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string peer;       // source address
  std::map<std::string, std::string> params;  // path parameters from the route pattern
  std::any context;       // what the route's header check learned, for its handler (see Precheck)

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct Response;
// Delivers a deferred response; callable from any thread, exactly once.
using Respond = std::function<void(Response)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set when the answer is not ready as the handler returns (it waits for a commit, or for
  // work too slow for an I/O thread): the server calls `deferred` once with a Respond, on the
  // worker pool when `deferred_blocks`, else where the handler ran. The fields above are unused.
  std::function<void(Respond)> deferred;
  bool deferred_blocks = false;
  // Set for a body written as it is produced (chunked, for exports of long lists): the server
  // sends the header, then calls `stream` again after each chunk is written until it returns
  // false; `body` is unused. It runs on the connection's loop, so each call does a bounded
  // amount of work (one page of a list). Throwing ends the answer unfinished: the connection
  // closes without the last chunk, and the client sees a truncated transfer, not a short list.
  std::function<bool(std::string& chunk)> stream;

  Response& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

Response json_response(int status, const nlohmann::json& body);
// A response computed later by `fn`: on the worker pool when `blocks` (argon2id, a commit
// waited for), else `fn` must not block and delivers its answer through the Respond it gets.
Response defer(std::function<void(Respond)> fn, bool blocks);
// The response itself, or the deferred one's once delivered (waits for it on this thread), a
// streamed body gathered into `body`: for callers of the router outside the server (tests,
// fuzz targets).
Response settle(Response r);
// The JSON error body of every non-OAuth error: {"error": code, "error_description": message,
// "error_message": message}. The same three fields as OAuth errors, so one client parser fits all.
Response error_response(int status, std::string_view code, std::string_view message);

// Whether an Authorization header value uses this scheme ("Basic", "Bearer"), compared without
// regard to case (RFC 9110 §11.1), followed by a space.
bool auth_scheme_is(std::string_view header_value, std::string_view scheme);

// Percent-decoding of application/x-www-form-urlencoded text ('+' is a space).
std::string url_decode(std::string_view s);
std::string url_encode(std::string_view s);
// Parses "a=1&b=2" into a map (first value wins); malformed pairs are skipped.
std::map<std::string, std::string> parse_form(std::string_view s);

}  // namespace licsat::http
