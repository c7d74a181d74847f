#include "harness.h"

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace licsat::e2e {
namespace fs = std::filesystem;

nlohmann::json& Reply::json() const {
  if (!parsed) parsed = nlohmann::json::parse(body, nullptr, false);
  return *parsed;
}

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {

size_t on_body(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}

size_t on_header(char* p, size_t s, size_t n, void* ud) {
  auto* h = static_cast<std::map<std::string, std::string>*>(ud);
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string v = line.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    (*h)[k] = v;
  }
  return s * n;
}

std::string unique_name() {
  static std::mt19937_64 rng(std::random_device{}());
  static std::mutex mu;
  std::lock_guard l(mu);
  return "e2e_" + std::to_string(getpid()) + "_" + std::to_string(rng() % 1000000000);
}

}  // namespace

Reply https(const std::string& method, const std::string& url, const std::string& body, const RequestOptions& opt,
            const std::string& ca_file) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Reply r;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, opt.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  }
  if (opt.tls_version || opt.tls_max_version)
    curl_easy_setopt(c, CURLOPT_SSLVERSION, opt.tls_version | opt.tls_max_version);
  struct curl_slist* hs = nullptr;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    hs = curl_slist_append(hs, ("Content-Type: " + opt.content_type).c_str());
  }
  if (!opt.bearer.empty()) hs = curl_slist_append(hs, ("Authorization: Bearer " + opt.bearer).c_str());
  hs = curl_slist_append(hs, "Expect:");
  for (const auto& h : opt.headers) hs = curl_slist_append(hs, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = err[0] ? err : curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/licsat-e2e-XXXXXX";
  char* p = mkdtemp(tmpl);
  path_ = p ? p : "/tmp/licsat-e2e-fallback";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("LICSAT_E2E_KEEP")) fs::remove_all(path_, ec);
}

std::string licsat_binary() { return LICSAT_BINARY; }

Server::Server(std::vector<std::string> extra, std::map<std::string, std::string> env)
    : extra_(std::move(extra)), env_(std::move(env)) {
  if (const char* pg = std::getenv("LICSAT_E2E_PG_URL"); pg && *pg) {
    // A fresh database per server on the throwaway cluster.
    std::string base = pg;
    std::string name = unique_name();
    auto res = run_command("psql -q -d '" + base + "' -c 'CREATE DATABASE " + name + "'");
    if (res.exit_code != 0) ADD_FAILURE() << "cannot create database: " << res.output;
    auto slash = base.rfind('/');
    database_ = base.substr(0, slash + 1) + name;
  }
}

void Server::share_database_with(const Server& other) {
  if (database_.empty() || other.database_.empty() || database_ == other.database_) return;
  const char* pg = std::getenv("LICSAT_E2E_PG_URL");
  auto slash = database_.rfind('/');
  auto res = run_command("psql -q -d '" + std::string(pg ? pg : "") + "' -c 'DROP DATABASE IF EXISTS " +
                         database_.substr(slash + 1) + "'");
  if (res.exit_code != 0) ADD_FAILURE() << "cannot drop database: " << res.output;
  database_ = other.database_;
  // Every node of one database needs the same key file (it seals the server keys there).
  key_file_ = other.data_dir() + "/keys/master.key";
}

Server::~Server() {
  if (pid_ > 0) kill9();
}

std::string Server::ca_file() const { return data_.path() + "/tls/cert.pem"; }
std::string Server::url() const { return "https://localhost:" + std::to_string(port_); }

std::string Server::log() const {
  std::ifstream in(log_file());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Server::start() {
  std::string port_file = data_.path() + "/port";
  std::string log_file = this->log_file();
  fs::remove(port_file);
  std::vector<std::string> args = {licsat_binary(), "serve", "--data", data_.path(), "--port-file", port_file};
  bool has_listen = false;
  for (const auto& a : extra_) has_listen = has_listen || a == "--listen";
  if (!has_listen) {
    // Restarting on the same data dir keeps the port, so clients can reconnect.
    args.push_back("--listen");
    args.push_back("127.0.0.1:" + std::to_string(port_));
  }
  if (!database_.empty()) {
    args.push_back("--database");
    args.push_back(database_);
  }
  if (!key_file_.empty()) {
    args.push_back("--key-file");
    args.push_back(key_file_);
  }
  for (const auto& a : extra_) args.push_back(a);
  args.insert(args.begin(), wrapper_.begin(), wrapper_.end());
  pid_t pid = fork();
  if (pid == 0) {
    FILE* lf = std::fopen(log_file.c_str(), "ab");
    if (lf) {
      dup2(fileno(lf), 1);
      dup2(fileno(lf), 2);
    }
    setenv("LICSAT_ADMIN_PASSWORD", kAdminPassword, 1);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "licsat serve exited during start:\n" << log();
    }
    std::ifstream pf(port_file);
    int p = 0;
    if (pf >> p && p > 0) {
      port_ = p;
      auto r = get("/healthz");
      if (r.status == 200) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "licsat serve did not become ready in 30 s:\n" << log();
}

int Server::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

void Server::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

long long Server::cpu_ticks() const {
  if (pid_ <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // After "PID (comm) ": state is field 3; utime and stime are fields 14 and 15.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 1));
  std::string f;
  long long utime = -1, stime = -1;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  return utime < 0 || stime < 0 ? -1 : utime + stime;
}

Reply Server::request(const std::string& method, const std::string& path, const std::string& body,
                      const RequestOptions& o) const {
  return https(method, url() + path, body, o, ca_file());
}
Reply Server::get(const std::string& path, const RequestOptions& o) const { return request("GET", path, "", o); }
Reply Server::post(const std::string& path, const std::string& body, const RequestOptions& o) const {
  return request("POST", path, body, o);
}
Reply Server::post_json(const std::string& path, const nlohmann::json& body, const std::string& bearer) const {
  RequestOptions o;
  o.bearer = bearer;
  return request("POST", path, body.dump(), o);
}

std::string Server::login(const std::string& user, const std::string& password) const {
  RequestOptions o;
  o.content_type = "application/x-www-form-urlencoded";
  auto r = post("/oauth/token", "grant_type=password&client_id=licsat-admin&username=" + user + "&password=" + password, o);
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  return j.is_object() ? j.value("access_token", "") : "";
}

nlohmann::json Server::create_grant(const std::string& name, const std::string& type, const std::string& admin_token) const {
  auto r = post_json("/api/v1/admin/grants", {{"name", name}, {"type", type}}, admin_token);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

void Server::create_user(const std::string& name, const std::string& role, const std::string& password,
                         const std::string& admin_token) const {
  auto r = post_json("/api/v1/admin/users", {{"name", name}, {"role", role}, {"password", password}}, admin_token);
  EXPECT_EQ(r.status, 201) << r.body;
}

CommandResult run_command(const std::string& command_line, const std::map<std::string, std::string>& env) {
  // `licsat admin` logs in on every command unless a test asks for its session file (by giving
  // LICSAT_NO_SESSION itself): tests must not share one through the user's ~/.cache.
  std::string prefix = "export LICSAT_NO_SESSION=1; ";
  for (const auto& [k, v] : env) prefix += "export " + k + "='" + v + "'; ";
  std::string full = prefix + command_line + " 2>&1";
  CommandResult r;
  FILE* p = popen(("/bin/sh -c \"" + [&] {
                    std::string esc;
                    for (char c : full) {
                      if (c == '"' || c == '\\' || c == '$' || c == '`') esc += '\\';
                      esc += c;
                    }
                    return esc;
                  }() + "\"").c_str(),
                  "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace licsat::e2e
