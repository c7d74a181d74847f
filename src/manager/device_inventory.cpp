#include "manager/device_inventory.h"

#include <charconv>
#include <limits>
#include <optional>
#include <map>

namespace licsat::manager {
namespace {

using nlohmann::json;

constexpr size_t kMaxProblems = 50;

struct Record {
  size_t line = 0;  // line where the record starts
  std::vector<std::string> fields;
};

// RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks.
std::vector<Record> csv_records(const std::string& text, std::vector<std::string>& problems, const std::string& src) {
  std::vector<Record> out;
  Record cur;
  std::string field;
  bool quoted = false, field_started = false, any = false;
  size_t line = 1;
  cur.line = 1;
  auto end_field = [&] {
    cur.fields.push_back(field);
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = cur.fields.size() == 1 && cur.fields[0].find_first_not_of(" \t") == std::string::npos;
    bool comment = !cur.fields.empty() && !cur.fields[0].empty() && cur.fields[0][0] == '#';
    if (!blank && !comment) out.push_back(cur);
    cur = Record{};
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (!any) {
      cur.line = line;
      any = true;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r') {
      // CRLF line ends
    } else if (c == '\n') {
      end_record();
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) problems.push_back(src + " line " + std::to_string(cur.line) + ": a quoted field is not closed");
  if (any || !field.empty()) end_record();
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

// "Virtual Account" → "virtualaccount".
std::string header_key(const std::string& h) {
  std::string k;
  for (char c : h) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (k == "va" || k == "virtualaccountname") return "virtualaccount";
  if (k == "serial" || k == "serialnumber" || k == "udisn" || k == "udiserialnumber") return "sn";
  if (k == "productid" || k == "udipid") return "pid";
  if (k == "host" || k == "name" || k == "devicename") return "hostname";
  if (k == "smartaccount" || k == "accountname") return "account";
  if (k == "license" || k == "licensetag") return "tag";
  if (k == "quantity" || k == "licensecount") return "count";
  return k;
}

std::optional<int64_t> count_of(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// Adds a license (count >= 0) to a device, summing counts of a tag given twice. False, and the
// device unchanged, when the sum would not fit in 64 bits.
[[nodiscard]] bool add_license(Device& d, const std::string& tag, int64_t count) {
  for (auto& l : d.licenses)
    if (l.tag == tag) {
      if (count > std::numeric_limits<int64_t>::max() - l.count) return false;
      l.count += count;
      return true;
    }
  d.licenses.push_back({tag, count});
  return true;
}

std::string too_many(const std::string& tag) {
  return "license '" + tag + "': the counts of this device add up to more than " +
         std::to_string(std::numeric_limits<int64_t>::max());
}

// Merges devices by (pid, sn); rows of one device must agree on hostname and virtual account.
class Merger {
 public:
  Merger(std::vector<std::string>& problems) : problems_(problems) {}
  Device* take(Device d, const std::string& where) {
    auto key = d.pid + "\x1f" + d.sn;
    auto it = index_.find(key);
    if (it == index_.end()) {
      index_[key] = devices_.size();
      devices_.push_back(std::move(d));
      return &devices_.back();
    }
    Device& have = devices_[it->second];
    if (have.virtual_account != d.virtual_account || (!d.hostname.empty() && have.hostname != d.hostname) ||
        have.account != d.account) {
      problems_.push_back(where + ": device " + d.pid + " " + d.sn +
                          " appears earlier with another hostname, account or virtual account");
      return nullptr;
    }
    for (const auto& l : d.licenses)
      if (!add_license(have, l.tag, l.count)) {
        problems_.push_back(where + ": " + too_many(l.tag));  // a problem: nothing is imported
        return nullptr;
      }
    return &have;
  }
  std::vector<Device> done() { return std::move(devices_); }

 private:
  std::vector<std::string>& problems_;
  std::vector<Device> devices_;
  std::map<std::string, size_t> index_;
};

// "TAG=2;TAG2=1" (also ':' and '|' as separators).
bool parse_license_list(const std::string& text, Device& d, std::string& why) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(";|", start);
    if (end == std::string::npos) end = text.size();
    std::string item = trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find_first_of("=:");
    std::string tag = trim(item.substr(0, eq));
    std::string n = eq == std::string::npos ? "1" : trim(item.substr(eq + 1));
    auto c = count_of(n);
    if (tag.empty()) {
      why = "license '" + item + "' has no tag";
      return false;
    }
    if (!c) {
      why = "license '" + tag + "': count '" + n + "' is not a whole number >= 0";
      return false;
    }
    if (!add_license(d, tag, *c)) {
      why = too_many(tag);
      return false;
    }
  }
  return true;
}

Result<std::vector<Device>> finish(std::vector<std::string>& problems, Merger& merger, const std::string& src) {
  if (!problems.empty()) {
    std::string m = src + ": " + std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") +
                    ", nothing imported:";
    for (size_t i = 0; i < problems.size() && i < kMaxProblems; ++i) m += "\n  " + problems[i];
    if (problems.size() > kMaxProblems) m += "\n  …";
    return fail(Error::invalid(m));
  }
  auto devices = merger.done();
  if (devices.empty()) return fail(Error::invalid(src + ": no devices in the file"));
  return devices;
}

Result<std::vector<Device>> parse_csv(const std::string& text, const std::string& src) {
  std::vector<std::string> problems;
  auto records = csv_records(text, problems, src);
  if (records.empty()) return fail(Error::invalid(src + ": the file is empty (a header row is expected)"));
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < records[0].fields.size(); ++i) {
    std::string k = header_key(trim(records[0].fields[i]));
    if (!k.empty()) col.emplace(k, i);
  }
  for (const char* need : {"pid", "sn", "virtualaccount"})
    if (!col.contains(need))
      return fail(Error::invalid(src + " line " + std::to_string(records[0].line) + ": the header has no '" + need +
                                 "' column (expected pid, sn, hostname, virtual_account, tag, count or licenses)"));
  bool per_tag = col.contains("tag");
  bool list = col.contains("licenses");
  if (col.contains("count") && !per_tag)
    return fail(Error::invalid(src + ": the header has a 'count' column but no 'tag' column"));
  Merger merger(problems);
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    std::string where = src + " line " + std::to_string(rec.line);
    auto get = [&](const char* k) -> std::string {
      auto it = col.find(k);
      if (it == col.end() || it->second >= rec.fields.size()) return "";
      return trim(rec.fields[it->second]);
    };
    if (rec.fields.size() > records[0].fields.size()) {
      problems.push_back(where + ": " + std::to_string(rec.fields.size()) + " fields, but the header has " +
                         std::to_string(records[0].fields.size()));
      continue;
    }
    Device d{get("pid"), get("sn"), get("hostname"), get("virtualaccount"), get("account"), {}};
    std::string missing;
    for (auto [k, v] : {std::pair{"pid", &d.pid}, {"sn", &d.sn}, {"virtual_account", &d.virtual_account}})
      if (v->empty()) missing += missing.empty() ? k : std::string(", ") + k;
    if (!missing.empty()) {
      problems.push_back(where + ": empty " + missing);
      continue;
    }
    if (per_tag) {
      std::string tag = get("tag"), n = get("count");
      if (!tag.empty()) {
        auto c = n.empty() ? std::optional<int64_t>(1) : count_of(n);
        if (!c) {
          problems.push_back(where + ": count '" + n + "' is not a whole number >= 0");
          continue;
        }
        d.licenses.push_back({tag, *c});  // the first license of a new row: nothing to add up
      } else if (!n.empty()) {
        problems.push_back(where + ": count " + n + " without a tag");
        continue;
      }
    }
    if (list) {
      std::string why;
      if (!parse_license_list(get("licenses"), d, why)) {
        problems.push_back(where + ": " + why);
        continue;
      }
    }
    merger.take(std::move(d), where);
    if (problems.size() > kMaxProblems) break;
  }
  return finish(problems, merger, src);
}

std::string jstr(const json& j, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = j.find(n);
    if (it != j.end() && it->is_string()) return trim(it->get<std::string>());
  }
  return "";
}

Result<std::vector<Device>> parse_json(const std::string& text, const std::string& src) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(Error::invalid(src + ": not valid JSON"));
  const json* list = &j;
  if (j.is_object()) {
    if (!j.contains("devices")) return fail(Error::invalid(src + ": a JSON inventory needs a \"devices\" array"));
    list = &j["devices"];
  }
  if (!list->is_array()) return fail(Error::invalid(src + ": \"devices\" must be an array"));
  std::vector<std::string> problems;
  Merger merger(problems);
  size_t n = 0;
  for (const auto& dj : *list) {
    ++n;
    std::string where = src + " device #" + std::to_string(n);
    if (!dj.is_object()) {
      problems.push_back(where + ": not an object");
      continue;
    }
    Device d{jstr(dj, {"pid", "udiPid"}), jstr(dj, {"sn", "udiSn", "serialNumber"}), jstr(dj, {"hostname", "host"}),
             jstr(dj, {"virtualAccount", "virtual_account", "virtualAccountName"}),
             jstr(dj, {"account", "smartAccount", "accountName"}), {}};
    if (!d.sn.empty()) where += " (sn " + d.sn + ")";
    std::string missing;
    for (auto [k, v] : {std::pair{"pid", &d.pid}, {"sn", &d.sn}, {"virtualAccount", &d.virtual_account}})
      if (v->empty()) missing += missing.empty() ? k : std::string(", ") + k;
    if (!missing.empty()) {
      problems.push_back(where + ": missing " + missing);
      continue;
    }
    bool ok = true;
    if (dj.contains("licenses")) {
      const json& lj = dj["licenses"];
      auto one = [&](const std::string& tag, const json& c) {
        if (tag.empty()) {
          problems.push_back(where + ": a license has no tag");
          ok = false;
        } else if (!c.is_number_integer() || c.get<int64_t>() < 0) {
          problems.push_back(where + ": license '" + tag + "': count " + c.dump() + " is not a whole number >= 0");
          ok = false;
        } else if (!add_license(d, tag, c.get<int64_t>())) {
          problems.push_back(where + ": " + too_many(tag));
          ok = false;
        }
      };
      if (lj.is_array()) {
        for (const auto& l : lj) {
          if (!l.is_object()) {
            problems.push_back(where + ": a license is not an object {\"tag\",\"count\"}");
            ok = false;
            continue;
          }
          one(jstr(l, {"tag", "license"}), l.contains("count") ? l["count"] : json(1));
        }
      } else if (lj.is_object()) {
        for (auto it = lj.begin(); it != lj.end(); ++it) one(it.key(), it.value());
      } else {
        problems.push_back(where + ": \"licenses\" must be an array or an object");
        ok = false;
      }
    }
    if (ok) merger.take(std::move(d), where);
    if (problems.size() > kMaxProblems) break;
  }
  return finish(problems, merger, src);
}

}  // namespace

Result<std::vector<Device>> parse_inventory(const std::string& text, const std::string& source, InventoryFormat format) {
  if (format == InventoryFormat::kAuto) {
    size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    format = first != std::string::npos && (text[first] == '{' || text[first] == '[') ? InventoryFormat::kJson
                                                                                       : InventoryFormat::kCsv;
  }
  if (format == InventoryFormat::kJson) return parse_json(text, source);
  std::string t = text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;  // a BOM from spreadsheets
  return parse_csv(t, source);
}

}  // namespace licsat::manager
