// Devices and the Event Log as streamed CSV; see csv_exports.h.
#include "api/csv_exports.h"

#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>

#include "api/auth.h"
#include "core/clock.h"
#include "core/csv.h"

namespace licsat::api {
namespace {

using http::Response;

Response csv_answer(const std::string& filename, std::function<bool(std::string&)> stream) {
  Response r;
  r.content_type = "text/csv; charset=utf-8";
  r.set("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  r.stream = std::move(stream);
  return r;
}

void device_rows(std::string& out, const domain::DevicePage& page) {
  for (const auto& d : page.devices) {
    int64_t in_use = 0;
    std::string licenses;
    for (const auto& l : d.licenses) {
      in_use += l.count;
      if (!licenses.empty()) licenses += ';';
      licenses += l.tag + "=" + std::to_string(l.count);
    }
    csv_append_row(out, {d.pid, d.sn, d.hostname, d.virtual_account, format_iso8601(d.last_report),
                         std::to_string(in_use), licenses});
  }
}

void event_rows(std::string& out, const domain::EventPage& page) {
  for (const auto& e : page.events)
    csv_append_row(out, {std::to_string(e.id), format_iso8601(e.time), e.actor, e.source_ip, e.action, e.outcome,
                         e.detail});
}

// A page read failed after the header was sent: the transfer ends unfinished (see
// Response::stream), the reason goes to the server's log.
[[noreturn]] void fail_midway(const char* what, const Error& e) {
  throw std::runtime_error(std::string(what) + ": " + e.message);
}

}  // namespace

bool wants_csv(const std::string& format, std::optional<Response>& refusal) {
  if (format.empty() || format == "json") return false;
  if (format == "csv") return true;
  refusal = http::error_response(400, "invalid_request", "'format' must be json or csv.");
  return false;
}

// Pages of a list read one after the other, each as the chunk of rows it becomes; the first
// page is the one read before answering.
template <class Page, class ReadNext, class Rows>
std::function<bool(std::string&)> pages_as_chunks(Page first, std::string header_row, ReadNext read_next, Rows rows) {
  struct State {
    std::optional<Page> first;
    std::optional<int64_t> next;
    bool header_sent = false;
    bool ended = false;
  };
  auto st = std::make_shared<State>();
  st->first = std::move(first);
  return [st, header_row = std::move(header_row), read_next, rows](std::string& out) {
    if (st->ended) return false;
    if (!st->header_sent) {
      out += header_row;
      st->header_sent = true;
    }
    Page page;
    if (st->first) {
      page = std::move(*st->first);
      st->first.reset();
    } else {
      page = read_next(*st->next);
    }
    rows(out, page);
    st->next = page.next;
    st->ended = !page.next;
    return true;
  };
}

std::string header_row(std::initializer_list<std::string_view> names) {
  std::string h;
  csv_append_row(h, names);
  return h;
}

Response devices_csv(App& app, const std::string& account, const std::string& va, std::optional<int64_t> after) {
  auto first = app.licensing->devices(account, va, kCsvPageRows, 0, after);
  if (!first) return error_of(first.error());
  auto read_next = [&app, account, va](int64_t cursor) {
    auto p = app.licensing->devices(account, va, kCsvPageRows, 0, cursor);
    if (!p) fail_midway("devices export", p.error());
    return std::move(*p);
  };
  return csv_answer("devices.csv",
                    pages_as_chunks(std::move(*first),
                                    header_row({"pid", "sn", "hostname", "virtualAccount", "lastReport", "inUse",
                                                "licenses"}),
                                    read_next, device_rows));
}

Response events_csv(App& app, domain::EventFilter filter) {
  filter.paging_by_cursor = true;
  filter.offset = 0;
  filter.limit = kCsvPageRows;
  auto first = app.store->list_events(filter);
  if (!first) return error_of(first.error());
  auto read_next = [&app, filter](int64_t cursor) {
    domain::EventFilter f = filter;
    f.before = cursor;
    auto p = app.store->list_events(f);
    if (!p) fail_midway("events export", p.error());
    return std::move(*p);
  };
  return csv_answer("events.csv",
                    pages_as_chunks(std::move(*first),
                                    header_row({"id", "time", "actor", "source_ip", "action", "outcome", "detail"}),
                                    read_next, event_rows));
}

}  // namespace licsat::api
