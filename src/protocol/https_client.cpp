#include "protocol/https_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>

namespace licsat::protocol {
namespace {

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* h = static_cast<std::map<std::string, std::string>*>(ud);
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ')) v.erase(v.begin());
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    (*h)[k] = v;
  }
  return size * n;
}

TransportFailure classify(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST: return TransportFailure::kDns;
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportFailure::kProxy;
    case CURLE_COULDNT_CONNECT: return TransportFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT: return TransportFailure::kTimeout;
    case CURLE_PEER_FAILED_VERIFICATION: return TransportFailure::kCertificate;
    case CURLE_SSL_CACERT_BADFILE: return TransportFailure::kCaFile;
    case CURLE_UNSUPPORTED_PROTOCOL:  // an http:// URL: refused, licsat speaks HTTPS only
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: return TransportFailure::kTls;
#if LIBCURL_VERSION_NUM >= 0x073e00
    case CURLE_PROXY: return TransportFailure::kProxy;
#endif
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return TransportFailure::kConnect;
    default: return TransportFailure::kOther;
  }
}

std::string env_of(const char* a, const char* b) {
  if (const char* v = std::getenv(a); v && *v) return v;
  if (const char* v = std::getenv(b); v && *v) return v;
  return "";
}

// Whether no_proxy (comma-separated host suffixes, or "*") excludes `host`.
bool excluded_by_no_proxy(const std::string& host, const std::string& no_proxy) {
  size_t start = 0;
  while (start <= no_proxy.size()) {
    size_t comma = no_proxy.find(',', start);
    if (comma == std::string::npos) comma = no_proxy.size();
    std::string item = no_proxy.substr(start, comma - start);
    start = comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    if (item == "*") return true;
    if (item.front() == '.') item.erase(item.begin());
    if (host == item) return true;
    if (host.size() > item.size() && host.ends_with(item) && host[host.size() - item.size() - 1] == '.') return true;
  }
  return false;
}

}  // namespace

std::string effective_proxy(const std::string& url, const std::string& explicit_proxy) {
  if (!explicit_proxy.empty()) return explicit_proxy;
  bool https = url.rfind("https://", 0) == 0;
  std::string p = https ? env_of("https_proxy", "HTTPS_PROXY") : env_of("http_proxy", "");
  if (p.empty()) p = env_of("all_proxy", "ALL_PROXY");
  if (p.empty()) return "";
  std::string host;
  CURLU* u = curl_url();
  char* h = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
    host = h;
    curl_free(h);
  }
  curl_url_cleanup(u);
  if (excluded_by_no_proxy(host, env_of("no_proxy", "NO_PROXY"))) return "";
  return p;
}

const char* transport_failure_name(TransportFailure k) {
  switch (k) {
    case TransportFailure::kDns: return "DNS resolution failed";
    case TransportFailure::kProxy: return "proxy failure";
    case TransportFailure::kConnect: return "connection failed";
    case TransportFailure::kTls: return "TLS handshake failed";
    case TransportFailure::kCertificate: return "server certificate not trusted";
    case TransportFailure::kTimeout: return "timed out";
    case TransportFailure::kOther: return "transport failure";
    case TransportFailure::kCaFile: return "CA file unusable";
  }
  return "transport failure";
}

HttpsClient::HttpsClient(ClientOptions opt) : opt_(std::move(opt)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
  while (!opt_.base_url.empty() && opt_.base_url.back() == '/') opt_.base_url.pop_back();
}

HttpsClient::~HttpsClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::expected<HttpReply, TransportError> HttpsClient::request(const std::string& method, const std::string& path,
                                                               const std::string& body,
                                                               const std::string& content_type,
                                                               const std::vector<std::string>& headers) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  HttpReply reply;
  std::string url = opt_.base_url + path;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, opt_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opt_.connect_timeout_seconds);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  // HTTPS only: a client secret, password or token must never cross the network in clear, so an
  // http:// server URL fails here before any connection is made (CURLE_UNSUPPORTED_PROTOCOL).
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  if (!opt_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt_.ca_file.c_str());
  if (opt_.insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!opt_.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, opt_.proxy.c_str());
  if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  struct curl_slist* hs = nullptr;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    hs = curl_slist_append(hs, ("Content-Type: " + content_type).c_str());
  }
  hs = curl_slist_append(hs, "Accept: application/json");
  if (!bearer_.empty()) hs = curl_slist_append(hs, ("Authorization: Bearer " + bearer_).c_str());
  for (const auto& h : headers) hs = curl_slist_append(hs, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(hs);
  if (rc != CURLE_OK) {
    TransportError e;
    e.kind = classify(rc);
    e.message = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    e.proxy = effective_proxy(url, opt_.proxy);
    char* host = nullptr;
    CURLU* u = curl_url();
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
      e.host = host;
      curl_free(host);
      char* port = nullptr;
      if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        e.port = std::atol(port);
        curl_free(port);
      }
    }
    curl_url_cleanup(u);
    curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &e.proxy_status);
    curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &e.verify_result);
    if (!e.proxy.empty()) {
      // Through a proxy, "could not connect" means the proxy itself; a refused CONNECT means the
      // proxy could not (or would not) reach the server.
      if (e.kind == TransportFailure::kConnect && e.proxy_status == 0) e.kind = TransportFailure::kProxy;
      if (e.proxy_status != 0 && (e.proxy_status < 200 || e.proxy_status >= 300)) e.kind = TransportFailure::kProxy;
    }
    return std::unexpected(std::move(e));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace licsat::protocol
