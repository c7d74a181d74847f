#include "store/pruner.h"

namespace licsat::store {

Status Pruner::drain(const std::function<Result<int64_t>()>& batch, int64_t& count, std::atomic<uint64_t>& total) {
  for (;;) {
    auto n = batch();
    if (!n) return fail(n.error());
    count += *n;
    total.fetch_add(static_cast<uint64_t>(*n));
    if (*n < opt_.batch) return {};
    if (opt_.between_batches) opt_.between_batches();
  }
}

Result<Pruner::Round> Pruner::run_once() {
  Round r;
  const int64_t now = clock_.now();
  const int64_t token_cutoff = now - opt_.token_grace;
  if (auto s = drain([&] { return store_.prune_expired_tokens(token_cutoff, opt_.batch); }, r.tokens, tokens_pruned_);
      !s)
    return fail(s.error());
  if (opt_.event_retention > 0) {
    const int64_t event_cutoff = now - opt_.event_retention;
    if (auto s = drain([&] { return store_.prune_events(event_cutoff, opt_.batch); }, r.events, events_pruned_); !s)
      return fail(s.error());
  }
  if (auto s = refresh_sizes(); !s) return fail(s.error());
  return r;
}

Status Pruner::refresh_sizes() {
  auto sizes = store_.table_sizes();
  if (!sizes) return fail(sizes.error());
  tokens_rows_.store(sizes->tokens);
  events_rows_.store(sizes->events);
  return {};
}

}  // namespace licsat::store
