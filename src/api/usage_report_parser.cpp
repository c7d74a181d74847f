#include "api/usage_report_parser.h"

#include <nlohmann/json.hpp>

#include "api/usage_report_scanner.h"
#include "core/clock.h"

namespace licsat::api {
namespace {

using nlohmann::json;

class UsageSax final : public nlohmann::json_sax<json> {
 public:
  explicit UsageSax(domain::UsageReport& out) : r_(out) {}

  std::string error;

  bool null() override { return scalar_bad("null"); }
  bool boolean(bool) override { return scalar_bad("a boolean"); }
  bool number_integer(number_integer_t v) override { return integer(static_cast<int64_t>(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return scalar_bad("too large a number");
    return integer(static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return scalar_bad("a fraction"); }
  bool binary(binary_t&) override { return scalar_bad("binary"); }

  bool string(string_t& v) override {
    if (skip_) return true;
    if (stack_.empty()) return bad("(body)", "must be a JSON object");
    switch (top()) {
      case Ctx::kRoot:
        if (key_ == "reportId") return set_text(r_.report_id, std::move(v), [] { return std::string("reportId"); }, has_id_);
        if (key_ == "manager") {
          r_.manager = std::move(v);
          return true;
        }
        if (key_ == "period" || key_ == "devices") return bad(key_, "must be an " + std::string(key_ == "period" ? "object" : "array"));
        return true;
      case Ctx::kPeriod:
        if (key_ == "start" || key_ == "end") {
          auto t = parse_iso8601(v);
          if (!t) return bad("period." + key_, "must be an ISO 8601 time such as 2026-01-31T00:00:00Z");
          return set_time(*t);
        }
        return true;
      case Ctx::kDevice: {
        auto& d = r_.devices.back();
        if (key_ == "pid") return set_text(d.pid, std::move(v), [&] { return device_field("pid"); }, has_pid_);
        if (key_ == "sn") return set_text(d.sn, std::move(v), [&] { return device_field("sn"); }, has_sn_);
        if (key_ == "hostname") {
          d.hostname = std::move(v);
          return true;
        }
        if (key_ == "licenses") return bad(device_field("licenses"), "must be an array");
        return true;
      }
      case Ctx::kLicense:
        if (key_ == "tag") return set_text(r_.devices.back().licenses.back().tag, std::move(v), [&] { return license_field("tag"); }, has_tag_);
        if (key_ == "count") return bad(license_field("count"), "must be a whole number, zero or more");
        return true;
      case Ctx::kDevices: return bad(device_path(), "must be an object");
      case Ctx::kLicenses: return bad(license_path(), "must be an object");
    }
    return true;
  }

  bool start_object(std::size_t) override {
    if (skip_) return ++skip_, true;
    if (stack_.empty()) {
      stack_.push_back(Ctx::kRoot);
      return true;
    }
    switch (top()) {
      case Ctx::kRoot:
        if (key_ == "period") {
          stack_.push_back(Ctx::kPeriod);
          has_period_ = true;
          return true;
        }
        if (key_ == "reportId" || key_ == "manager") return bad(key_, "must be a string");
        if (key_ == "devices") return bad("devices", "must be an array");
        break;
      case Ctx::kDevices:
        r_.devices.emplace_back();
        has_pid_ = has_sn_ = false;
        stack_.push_back(Ctx::kDevice);
        return true;
      case Ctx::kLicenses:
        r_.devices.back().licenses.emplace_back();
        has_tag_ = has_count_ = false;
        stack_.push_back(Ctx::kLicense);
        return true;
      case Ctx::kDevice:
        if (key_ == "pid" || key_ == "sn" || key_ == "hostname") return bad(device_field(key_), "must be a string");
        if (key_ == "licenses") return bad(device_field("licenses"), "must be an array");
        break;
      case Ctx::kLicense:
        if (key_ == "tag") return bad(license_field("tag"), "must be a string");
        if (key_ == "count") return bad(license_field("count"), "must be a whole number, zero or more");
        break;
      case Ctx::kPeriod:
        if (key_ == "start" || key_ == "end") return bad("period." + key_, "must be an ISO 8601 time");
        break;
    }
    skip_ = 1;  // an unknown member: ignored
    return true;
  }

  bool key(string_t& k) override {
    if (!skip_) key_ = std::move(k);
    return true;
  }

  bool end_object() override {
    if (skip_) return --skip_, true;
    Ctx c = top();
    stack_.pop_back();
    switch (c) {
      case Ctx::kRoot:
        if (!has_id_) return bad("reportId", "is required");
        if (!has_period_) return bad("period", "is required");
        if (!has_devices_) return bad("devices", "is required");
        return true;
      case Ctx::kPeriod:
        if (!has_start_) return bad("period.start", "is required");
        if (!has_end_) return bad("period.end", "is required");
        if (r_.period_end < r_.period_start) return bad("period.end", "must not be before period.start");
        return true;
      case Ctx::kDevice:
        if (!has_pid_) return bad(device_field("pid"), "is required");
        if (!has_sn_) return bad(device_field("sn"), "is required");
        return true;
      case Ctx::kLicense:
        if (!has_tag_) return bad(license_field("tag"), "is required");
        if (!has_count_) return bad(license_field("count"), "is required");
        return true;
      default: return true;
    }
  }

  bool start_array(std::size_t) override {
    if (skip_) return ++skip_, true;
    if (stack_.empty()) return bad("(body)", "must be a JSON object");
    switch (top()) {
      case Ctx::kRoot:
        if (key_ == "devices") {
          stack_.push_back(Ctx::kDevices);
          has_devices_ = true;
          return true;
        }
        if (key_ == "reportId" || key_ == "manager") return bad(key_, "must be a string");
        if (key_ == "period") return bad("period", "must be an object");
        break;
      case Ctx::kDevice:
        if (key_ == "licenses") {
          stack_.push_back(Ctx::kLicenses);
          return true;
        }
        if (key_ == "pid" || key_ == "sn" || key_ == "hostname") return bad(device_field(key_), "must be a string");
        break;
      case Ctx::kDevices: return bad(device_path(), "must be an object");
      case Ctx::kLicenses: return bad(license_path(), "must be an object");
      case Ctx::kLicense:
        if (key_ == "tag") return bad(license_field("tag"), "must be a string");
        if (key_ == "count") return bad(license_field("count"), "must be a whole number, zero or more");
        break;
      case Ctx::kPeriod:
        if (key_ == "start" || key_ == "end") return bad("period." + key_, "must be an ISO 8601 time");
        break;
    }
    skip_ = 1;
    return true;
  }

  bool end_array() override {
    if (skip_) return --skip_, true;
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    if (error.empty()) error = "The request body is not valid JSON (error near byte " + std::to_string(position) + ").";
    return false;
  }

 private:
  enum class Ctx { kRoot, kPeriod, kDevices, kDevice, kLicenses, kLicense };

  Ctx top() const { return stack_.back(); }

  bool bad(const std::string& field, const std::string& what) {
    if (error.empty()) error = "'" + field + "' " + what + ".";
    return false;
  }

  bool scalar_bad(const char* kind) {
    if (skip_) return true;
    if (stack_.empty()) return bad("(body)", "must be a JSON object");
    switch (top()) {
      case Ctx::kRoot:
        if (key_ == "reportId" || key_ == "manager") return bad(key_, std::string("must be a string, not ") + kind);
        if (key_ == "period") return bad("period", "must be an object");
        if (key_ == "devices") return bad("devices", "must be an array");
        return true;
      case Ctx::kPeriod:
        if (key_ == "start" || key_ == "end") return bad("period." + key_, "must be an ISO 8601 time");
        return true;
      case Ctx::kDevice:
        if (key_ == "hostname" && std::string_view(kind) == "null") return true;
        if (key_ == "pid" || key_ == "sn" || key_ == "hostname") return bad(device_field(key_), "must be a string");
        if (key_ == "licenses") return bad(device_field("licenses"), "must be an array");
        return true;
      case Ctx::kLicense:
        if (key_ == "tag") return bad(license_field("tag"), "must be a string");
        if (key_ == "count") return bad(license_field("count"), "must be a whole number, zero or more");
        return true;
      case Ctx::kDevices: return bad(device_path(), "must be an object");
      case Ctx::kLicenses: return bad(license_path(), "must be an object");
    }
    return true;
  }

  bool integer(int64_t v) {
    if (skip_) return true;
    if (stack_.empty()) return bad("(body)", "must be a JSON object");
    switch (top()) {
      case Ctx::kLicense:
        if (key_ == "count") {
          if (v < 0) return bad(license_field("count"), "must not be negative");
          if (v > kMaxLicenseCount) return bad(license_field("count"), "must be at most " + std::to_string(kMaxLicenseCount));
          r_.devices.back().licenses.back().count = v;
          has_count_ = true;
          return true;
        }
        if (key_ == "tag") return bad(license_field("tag"), "must be a string");
        return true;
      case Ctx::kPeriod:
        if (key_ == "start" || key_ == "end") {
          if (v < 0) return bad("period." + key_, "must not be negative");
          return set_time(v);
        }
        return true;
      default: return scalar_bad("a number");
    }
  }

  bool set_time(int64_t t) {
    if (key_ == "start") {
      r_.period_start = t;
      has_start_ = true;
    } else {
      r_.period_end = t;
      has_end_ = true;
    }
    return true;
  }

  // `field` names the member for an error message; it is only called on an error.
  template <typename Name>
  bool set_text(std::string& into, std::string&& v, Name field, bool& seen) {
    if (v.empty()) return bad(field(), "must not be empty");
    if (v.size() > 256) return bad(field(), "must be at most 256 characters");
    into = std::move(v);
    seen = true;
    return true;
  }

  std::string device_path() const { return "devices[" + std::to_string(r_.devices.size()) + "]"; }
  std::string device_field(const std::string& f) const {
    return "devices[" + std::to_string(r_.devices.size() - 1) + "]." + f;
  }
  std::string license_path() const {
    return device_field("licenses") + "[" + std::to_string(r_.devices.back().licenses.size()) + "]";
  }
  std::string license_field(const std::string& f) const {
    return device_field("licenses") + "[" + std::to_string(r_.devices.back().licenses.size() - 1) + "]." + f;
  }

  domain::UsageReport& r_;
  std::vector<Ctx> stack_;
  std::string key_;
  int skip_ = 0;
  bool has_id_ = false, has_period_ = false, has_devices_ = false, has_start_ = false, has_end_ = false;
  bool has_pid_ = false, has_sn_ = false, has_tag_ = false, has_count_ = false;
};

}  // namespace

Result<domain::UsageReport> parse_usage_report(std::string_view body) {
  // Most reports are of the plain shape the scanner reads several times faster; it gives up on
  // anything else, including every invalid body, which the SAX parser then explains.
  if (auto plain = scan_plain_usage_report(body)) return std::move(*plain);
  return parse_usage_report_in_full(body);
}

Result<domain::UsageReport> parse_usage_report_in_full(std::string_view body) {
  if (body.empty()) return fail(Error::invalid("A JSON request body is required."));
  domain::UsageReport r;
  UsageSax sax(r);
  bool ok = json::sax_parse(body, &sax);
  if (!ok || !sax.error.empty()) {
    return fail(Error::invalid(sax.error.empty() ? "The request body is not valid JSON." : sax.error));
  }
  return r;
}

}  // namespace licsat::api
