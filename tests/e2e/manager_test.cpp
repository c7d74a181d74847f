// `licsat manager …` against a real `licsat serve`: sync and its failures (each with its exit code,
// the server's words and the fix), a real HTTP CONNECT proxy, doctor, offline files, and `run`
// riding out a server outage without losing or double-counting a usage report.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

namespace licsat::e2e {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* kGrantNotFound = "Grant not found. Ensure that the given grant details are correct.";

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A server with one smart account (acme), one virtual account (Branches) holding 10
// network-advantage licenses, a Resource Owner Grant, a Client Credentials Grant and an operator.
class ManagerE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    admin_ = server_.login();
    ASSERT_EQ(server_.post_json("/api/v1/admin/accounts", {{"name", "acme"}, {"domain", "acme.example"}}, admin_).status, 201);
    ASSERT_EQ(server_.post_json("/api/v1/admin/accounts/acme/virtual-accounts", {{"name", "Branches"}}, admin_).status, 201);
    auto pool = server_.post_json("/api/v1/admin/accounts/acme/virtual-accounts/Branches/licenses",
                                  {{"tag", "network-advantage"}, {"name", "Network Advantage"}, {"quantity", 10}}, admin_);
    ASSERT_EQ(pool.status, 201) << pool.body;
    ro_ = server_.create_grant("vmanage", "resource-owner", admin_);
    cc_ = server_.create_grant("satellite", "client-credentials", admin_);
    server_.create_user("netops", "operator", kUserPassword, admin_);
    write_text(dir_.path() + "/devices.csv",
               "pid,sn,hostname,virtual_account,tag,count\n"
               "C9300-24T,FOC0001,edge-1,Branches,network-advantage,1\n"
               "C9300-24T,FOC0002,edge-2,Branches,network-advantage,2\n");
    auto imp = manager("devices import " + dir_.path() + "/devices.csv");
    ASSERT_EQ(imp.exit_code, 0) << imp.output;
  }

  // `licsat manager ARGS --state DIR` with LICSAT_PASSWORD set.
  CommandResult manager(const std::string& args, const std::string& password = kUserPassword) {
    return run_command(licsat_binary() + " manager " + args + " --state " + state(), {{"LICSAT_PASSWORD", password}});
  }

  // The network flags of a sync with the Resource Owner Grant and the operator user.
  std::string connect(const std::string& url = "", const json& grant = nullptr, bool trust = true) const {
    const json& g = grant.is_null() ? ro_ : grant;
    return "--mode onprem --server " + (url.empty() ? server_.url() : url) + (trust ? " --ca-file " + server_.ca_file() : "") +
           " --client-id " + g["client_id"].get<std::string>() + " --client-secret " +
           g["client_secret"].get<std::string>() + " --username netops";
  }

  std::string state() const { return dir_.path() + "/state"; }

  json licenses() const {
    RequestOptions o;
    o.bearer = admin_;
    auto r = server_.request("POST", "/api/v1/accounts/acme/licenses", R"({"limit":-1})", o);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  int64_t in_use(const std::string& tag) const {
    auto all = licenses();
    for (const auto& l : all["licenses"])
      if (l["tag"] == tag) return l["inUse"].get<int64_t>();
    ADD_FAILURE() << "no license " << tag << " in " << all.dump();
    return -1;
  }

  static constexpr const char* kUserPassword = "netops-password-e2e";
  Server server_;
  TempDir dir_;
  std::string admin_;
  json ro_, cc_;
};

TEST_F(ManagerE2E, SyncWithResourceOwnerGrantShowsPoolsAndReportsUsage) {
  auto r = manager("sync " + connect());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "POOL")) << r.output;
  EXPECT_TRUE(contains(r.output, "Network Advantage")) << r.output;
  EXPECT_TRUE(contains(r.output, "In Compliance")) << r.output;
  EXPECT_TRUE(contains(r.output, "accepted")) << r.output;
  EXPECT_EQ(in_use("network-advantage"), 3);

  auto j = manager("sync --json " + connect());
  ASSERT_EQ(j.exit_code, 0) << j.output;
  auto body = json::parse(j.output, nullptr, false);
  ASSERT_TRUE(body.is_object()) << j.output;
  EXPECT_EQ(body["status"], "ok");
  ASSERT_EQ(body["licenses"].size(), 1u) << j.output;
  EXPECT_EQ(body["licenses"][0]["quantity"], 10);
  EXPECT_EQ(body["licenses"][0]["inUse"], 3);
  EXPECT_EQ(body["licenses"][0]["available"], 7);
  EXPECT_EQ(in_use("network-advantage"), 3);  // a second report of the same devices replaces, never adds

  auto status = manager("status --json");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  auto st = json::parse(status.output, nullptr, false);
  EXPECT_TRUE(st["reportsWaiting"].empty()) << status.output;
  EXPECT_EQ(st["history"][0]["outcome"], "ok");

  // The same settings from a TOML file.
  std::string conf = dir_.path() + "/manager.toml";
  write_text(conf, "mode = \"onprem\"\nserver = \"" + server_.url() + "\"\nca_file = \"" + server_.ca_file() +
                       "\"\nclient_id = \"" + ro_["client_id"].get<std::string>() + "\"\nclient_secret = \"" +
                       ro_["client_secret"].get<std::string>() + "\"\nusername = \"netops\"\n");
  auto c = manager("sync --config " + conf);
  EXPECT_EQ(c.exit_code, 0) << c.output;
}

TEST_F(ManagerE2E, ClientCredentialsGrantUsedForSyncIsInvalidClientWithTheFix) {
  auto r = manager("sync " + connect("", cc_));
  EXPECT_EQ(r.exit_code, 20) << r.output;
  EXPECT_TRUE(contains(r.output, kGrantNotFound)) << r.output;
  EXPECT_TRUE(contains(r.output, "do not match a Resource Owner Grant")) << r.output;
  EXPECT_TRUE(contains(r.output, "API Tool Kit")) << r.output;
  EXPECT_TRUE(contains(r.output, "licsat admin grant create --type resource-owner")) << r.output;

  auto d = manager("doctor " + connect("", cc_));
  EXPECT_EQ(d.exit_code, 20) << d.output;
  EXPECT_TRUE(contains(d.output, "belong to a Client Credentials Grant")) << d.output;
}

TEST_F(ManagerE2E, WrongPasswordIsInvalidGrant) {
  auto r = manager("sync " + connect(), "not-the-password");
  EXPECT_EQ(r.exit_code, 21) << r.output;
  EXPECT_TRUE(contains(r.output, "invalid_grant")) << r.output;
  EXPECT_TRUE(contains(r.output, "user name or password")) << r.output;
}

TEST_F(ManagerE2E, StatusOfAMistypedStateIsRefusedAndCreatesNothing) {
  std::string typo = state() + "-typo";
  auto r = run_command(licsat_binary() + " manager status --state " + typo, {});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "no manager state in '" + typo + "'")) << r.output;
  EXPECT_TRUE(contains(r.output, "licsat manager sync")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(typo));
  // Once a sync has created the state, status reads it.
  ASSERT_EQ(manager("sync " + connect()).exit_code, 0);
  EXPECT_EQ(manager("status").exit_code, 0);
}

TEST_F(ManagerE2E, RunStopsOnAWrongPasswordInsteadOfRetryingIntoALockout) {
  auto r = manager("run " + connect() + " --interval 30s --retry-min 1s", "not-the-password");
  EXPECT_EQ(r.exit_code, 21) << r.output;  // invalid_grant, after one attempt
  EXPECT_TRUE(contains(r.output, "stopped: retrying cannot fix this")) << r.output;
  size_t attempts = 0;
  for (size_t at = r.output.find("sync attempt"); at != std::string::npos; at = r.output.find("sync attempt", at + 1))
    ++attempts;
  EXPECT_EQ(attempts, 1u) << r.output;
  // One failed password, not six: the user is not locked and the right password still works.
  EXPECT_EQ(manager("sync " + connect()).exit_code, 0);
}

TEST_F(ManagerE2E, ABadInventoryRowGetsItsOwnFixNotTheGenericOne) {
  write_text(dir_.path() + "/bad.csv", "serial,hostname\nFOC0003,edge-3\n");
  auto r = manager("devices import " + dir_.path() + "/bad.csv");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "fix: correct " + dir_.path() + "/bad.csv")) << r.output;
  EXPECT_TRUE(contains(r.output, "inventory is unchanged")) << r.output;
  EXPECT_FALSE(contains(r.output, "correct the command line or the settings file")) << r.output;
}

TEST_F(ManagerE2E, LockedUserIsToldToAskAnAdmin) {
  for (int i = 0; i < 5; ++i) manager("sync " + connect(), "not-the-password");
  auto r = manager("sync " + connect());
  EXPECT_EQ(r.exit_code, 22) << r.output;
  EXPECT_TRUE(contains(r.output, "locked")) << r.output;
  EXPECT_TRUE(contains(r.output, "licsat admin user unlock netops")) << r.output;
}

TEST_F(ManagerE2E, ConsoleDisabledIsAccessDenied) {
  RequestOptions o;
  o.bearer = admin_;
  auto off = server_.request("PUT", "/api/v1/admin/console", R"({"enabled":false})", o);
  ASSERT_EQ(off.status, 200) << off.body;
  auto r = manager("sync " + connect());
  EXPECT_EQ(r.exit_code, 23) << r.output;
  EXPECT_TRUE(contains(r.output, "HTTP 403")) << r.output;
  EXPECT_TRUE(contains(r.output, "licsat admin console enable")) << r.output;
}

TEST_F(ManagerE2E, ServerDownIsAConnectionFailureAndTheReportWaits) {
  std::string url = server_.url();
  server_.stop();
  auto r = manager("sync " + connect(url));
  EXPECT_EQ(r.exit_code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "nothing accepted a connection")) << r.output;
  EXPECT_TRUE(contains(r.output, "check that the server runs")) << r.output;
  auto status = manager("status --json");
  auto st = json::parse(status.output, nullptr, false);
  ASSERT_TRUE(st.is_object()) << status.output;
  EXPECT_EQ(st["reportsWaiting"].size(), 1u) << status.output;
}

TEST_F(ManagerE2E, WrongPortIsAConnectionFailure) {
  auto r = manager("sync " + connect("https://localhost:" + std::to_string(free_port())));
  EXPECT_EQ(r.exit_code, 11) << r.output;
  EXPECT_TRUE(contains(r.output, "--server has the right port")) << r.output;
}

TEST_F(ManagerE2E, UntrustedCertificateWithoutInsecureIsRefusedWithTheFix) {
  auto r = manager("sync " + connect("", nullptr, false));
  EXPECT_EQ(r.exit_code, 14) << r.output;
  EXPECT_TRUE(contains(r.output, "not trusted")) << r.output;
  EXPECT_TRUE(contains(r.output, "--ca-file")) << r.output;
  auto d = manager("doctor " + connect("", nullptr, false));
  EXPECT_EQ(d.exit_code, 14) << d.output;
  EXPECT_TRUE(contains(d.output, "FAIL  tls")) << d.output;
  auto insecure = manager("sync " + connect("", nullptr, false) + " --insecure");
  EXPECT_EQ(insecure.exit_code, 0) << insecure.output;
}

TEST_F(ManagerE2E, DoctorPassesEveryStepOnAGoodSetup) {
  auto d = manager("doctor " + connect());
  ASSERT_EQ(d.exit_code, 0) << d.output;
  for (const char* step : {"ok    dns", "ok    tcp", "ok    tls", "ok    clock", "ok    token", "ok    api"})
    EXPECT_TRUE(contains(d.output, step)) << step << "\n" << d.output;
}

// tinyproxy from Debian, on a free port with a temporary configuration.
class Tinyproxy {
 public:
  explicit Tinyproxy(const std::string& dir) : port_(free_port()), log_(dir + "/tinyproxy.log") {
    std::string conf = dir + "/tinyproxy.conf";
    write_text(conf, "Port " + std::to_string(port_) + "\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Connect\n");
    pid_ = fork();
    if (pid_ == 0) {
      FILE* lf = std::fopen(log_.c_str(), "ab");
      if (lf) {
        dup2(fileno(lf), 1);
        dup2(fileno(lf), 2);
      }
      execlp("tinyproxy", "tinyproxy", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when it accepts connections.
    for (int i = 0; i < 100; ++i) {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(port_));
      bool up = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(s);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~Tinyproxy() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_text(log_); }

 private:
  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

bool have_tinyproxy() { return run_command("tinyproxy -v").exit_code == 0; }

TEST_F(ManagerE2E, SyncThroughARealConnectProxy) {
  if (!have_tinyproxy()) GTEST_SKIP() << "tinyproxy is not installed (scripts/install-deps.sh installs it)";
  Tinyproxy proxy(dir_.path());
  auto r = manager("sync " + connect() + " --proxy " + proxy.url());
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n" << proxy.log();
  EXPECT_TRUE(contains(proxy.log(), "CONNECT")) << proxy.log();
  EXPECT_EQ(in_use("network-advantage"), 3);

  auto d = manager("doctor " + connect() + " --proxy " + proxy.url());
  EXPECT_EQ(d.exit_code, 0) << d.output;
  EXPECT_TRUE(contains(d.output, "opened a tunnel")) << d.output;

  // The proxy is reached but cannot reach the server: a proxy failure, not a server one.
  auto behind = manager("sync " + connect("https://localhost:" + std::to_string(free_port())) + " --proxy " + proxy.url());
  EXPECT_EQ(behind.exit_code, 12) << behind.output;
  EXPECT_TRUE(contains(behind.output, "refused to open a tunnel")) << behind.output;

  auto no_proxy = manager("sync " + connect() + " --proxy http://127.0.0.1:" + std::to_string(free_port()));
  EXPECT_EQ(no_proxy.exit_code, 12) << no_proxy.output;
  EXPECT_TRUE(contains(no_proxy.output, "cannot reach the proxy")) << no_proxy.output;
}

TEST_F(ManagerE2E, OfflineExportAnswerImportAndRefusals) {
  std::string req = dir_.path() + "/request.json", ans = dir_.path() + "/answer.json";
  auto import_before_trust = manager("offline import " + ans);
  EXPECT_NE(import_before_trust.exit_code, 0);

  auto t = manager("trust --server " + server_.url() + " --ca-file " + server_.ca_file());
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_TRUE(contains(t.output, "SHA-256 fingerprint")) << t.output;
  auto key = server_.get("/api/v1/server-key").json();
  EXPECT_TRUE(contains(t.output, key["fingerprintDisplay"].get<std::string>())) << t.output;

  auto e = manager("offline export " + req);
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_EQ(json::parse(read_text(req))["kind"], "usage-request");

  auto a = run_command(licsat_binary() + " admin --server " + server_.url() + " --ca-file " + server_.ca_file() +
                           " offline answer " + req + " " + ans,
                       {{"LICSAT_PASSWORD", kAdminPassword}});
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("licsat manager offline import " + ans), std::string::npos) << a.output;
  EXPECT_EQ(in_use("network-advantage"), 3);  // the server ingested the usage

  auto i = manager("offline import " + ans + " --json");
  ASSERT_EQ(i.exit_code, 0) << i.output;
  auto body = json::parse(i.output, nullptr, false);
  EXPECT_EQ(body["acknowledged"], 1) << i.output;
  ASSERT_EQ(body["licenses"].size(), 1u) << i.output;
  EXPECT_EQ(body["licenses"][0]["inUse"], 3);
  auto status = json::parse(manager("status --json").output, nullptr, false);
  EXPECT_TRUE(status["reportsWaiting"].empty());
  // The import is listed under recent syncs, as an offline one.
  ASSERT_FALSE(status["history"].empty()) << status.dump();
  EXPECT_EQ(status["history"][0]["mode"], "offline") << status.dump();
  EXPECT_EQ(status["history"][0]["outcome"], "ok") << status.dump();
  EXPECT_EQ(status["history"][0]["reportsSent"], 1) << status.dump();

  auto replay = manager("offline import " + ans);
  EXPECT_EQ(replay.exit_code, 40) << replay.output;
  EXPECT_TRUE(contains(replay.output, "replayed")) << replay.output;
  status = json::parse(manager("status --json").output, nullptr, false);
  EXPECT_EQ(status["history"][0]["outcome"], "failed") << status.dump();  // the refused replay too

  // A changed license count inside the signed payload.
  auto env = json::parse(read_text(ans));
  auto payload = env["payload"].get<std::string>();
  payload[payload.size() / 2] = payload[payload.size() / 2] == 'A' ? 'B' : 'A';
  env["payload"] = payload;
  write_text(dir_.path() + "/tampered.json", env.dump(2));
  auto tampered = manager("offline import " + dir_.path() + "/tampered.json");
  EXPECT_EQ(tampered.exit_code, 40) << tampered.output;
  EXPECT_TRUE(contains(tampered.output, "tampered") || contains(tampered.output, "not a valid answer"))
      << tampered.output;

  // An answer signed by another server for this manager's request.
  auto e2 = manager("offline export " + req);
  ASSERT_EQ(e2.exit_code, 0) << e2.output;
  Server other;
  other.start();
  auto foreign = run_command(licsat_binary() + " admin --server " + other.url() + " --ca-file " + other.ca_file() +
                                 " offline answer " + req + " " + dir_.path() + "/foreign.json",
                             {{"LICSAT_PASSWORD", kAdminPassword}});
  ASSERT_EQ(foreign.exit_code, 0) << foreign.output;
  auto f = manager("offline import " + dir_.path() + "/foreign.json");
  EXPECT_EQ(f.exit_code, 40) << f.output;
  EXPECT_TRUE(contains(f.output, "foreign")) << f.output;
}

TEST_F(ManagerE2E, RunRidesOutAnOutageAndTheQueuedReportCountsOnce) {
  std::string url = server_.url();
  server_.stop();
  // A failed sync while the server is down leaves a report queued; remember its id.
  auto down = manager("sync " + connect(url));
  ASSERT_EQ(down.exit_code, 11) << down.output;
  auto st = json::parse(manager("status --json").output, nullptr, false);
  ASSERT_EQ(st["reportsWaiting"].size(), 1u);
  std::string report_id = st["reportsWaiting"][0]["reportId"];

  // The server comes back once the run has failed at least once (waited for in its output, not
  // after a fixed time: a loaded machine may start the run late).
  std::string run_log = dir_.path() + "/run.log";
  CommandResult run;
  std::thread runner([&] {
    run = run_command(licsat_binary() + " manager run " + connect(url) + " --interval 30s --retry-min 1s --cycles 1 --state " +
                          state() + " >" + run_log + " 2>&1",
                      {{"LICSAT_PASSWORD", kUserPassword}});
  });
  auto read_run_log = [&] {
    std::ifstream in(run_log);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       !contains(read_run_log(), "outcome=failed") && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  server_.start();  // same data directory and port
  runner.join();
  run.output = read_run_log();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "outcome=failed")) << run.output;
  EXPECT_TRUE(contains(run.output, "class=connect")) << run.output;
  EXPECT_TRUE(contains(run.output, "outcome=ok reports_sent=1")) << run.output;
  EXPECT_EQ(in_use("network-advantage"), 3);

  // The queued report went with its original id, and the server took it in once (a repeat of a
  // reportId is acknowledged without being ingested or logged again).
  st = json::parse(manager("status --json").output, nullptr, false);
  EXPECT_TRUE(st["reportsWaiting"].empty()) << st.dump();
  auto devices = server_.get("/api/v1/accounts/acme/devices", [&] {
    RequestOptions o;
    o.bearer = admin_;
    return o;
  }());
  ASSERT_EQ(devices.status, 200) << devices.body;
  EXPECT_EQ(devices.json()["totalRecords"], 2);
  auto events = server_.get("/api/v1/admin/events?action=usage.report&limit=100", [&] {
    RequestOptions o;
    o.bearer = admin_;
    return o;
  }());
  ASSERT_EQ(events.status, 200) << events.body;
  int mentions = 0;
  for (const auto& ev : events.json()["events"])
    if (contains(ev.dump(), report_id)) ++mentions;
  EXPECT_EQ(mentions, 1) << report_id << "\n" << events.body << "\n" << run.output;
}

}  // namespace
}  // namespace licsat::e2e
