// The lineage of a priced line (docs/close.md §4): every entry that decided, matched, signed, billed,
// credited, disputed or posted it — the line, its rule version, FX lock and rate, the usage it
// sums, the vendor invoice lines and match result it was compared in, its exceptions, the
// sign-offs and their signers' keys, the invoices that bill it, every later credit, every reopen of its period,
// the partner's disputes of it, the postings.
// See docs/close.md §4.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "match/findings.h"

namespace closebook::close {

struct LineageItem {
  std::string role;  // "priced_line", "rule_version", "fx_lock", "fx_rate", "usage", ...
  match::Ref ref;
  // What a partner is not shown of a sealed line (docs/evidence.md §5): the rule version its
  // LineCost names, and the rated usage records that carry the vendor's price.
  bool sealed = false;
};

struct Lineage {
  std::string line_id;
  std::string period;
  std::vector<LineageItem> items;  // by role as listed above, then ledger order; no repeats
};

// Who a lineage is shown to. A partner sees what bears on its own line — the line, its FX lock
// and rate, its usage, its sign-offs and their keys, its invoices, credits, reopens and
// disputes — but not the distributor's side of the close: a sealed line's cost and the rule
// that priced it, a sign-off's summary of the period's totals (docs/evidence.md §5), the
// vendor's invoice lines and the match against them (vendor costs), the exception queue and
// its notes, and the GL journal and its acknowledgements (which sum every partner of the period).
// The GL sees what it posts: the lines, their invoices and sign-offs, the journal and its
// acknowledgements — not the queue and its notes, nor the vendor's lines and the match.
enum class Audience { kStaff, kPartner, kGl };

// Whether an entry of `role` (a bundle role: "match_result", "exception", ...) is kept from
// `audience`; and the lineage as `audience` may see it.
bool hidden_from(const std::string& role, Audience audience);
Lineage for_audience(Lineage lineage, Audience audience);

// The current version of a priced line: the latest PricedLine entry of its id.
Result<DecodedEntry> current_priced_line(const ledger::Snapshot& snapshot, const std::string& line_id);

// The lineage of the current version of a line (the latest PricedLine entry of its id).
Result<Lineage> line_lineage(const ledger::Snapshot& snapshot, const std::string& line_id);
// The lineage of one version: the PricedLine entry at `index` (e.g. the one an invoice bills).
Result<Lineage> line_lineage_at(const ledger::Snapshot& snapshot, uint64_t index);

// The entries of a period that bear on every line of it — sign-offs and their signers' keys,
// reopens and their causes, journal postings and what they sum, acknowledgements and what they
// acknowledge — read once. An invoice's bundle loads them once for all its lines: a posting
// sums the whole period, so reading it per line made invoice bundles quadratic.
struct PeriodTrail {
  struct Item {
    match::Ref ref;
    std::vector<match::Ref> key_events;  // sign-off: the keys that signed it
    std::set<uint64_t> cites;            // reopen: its cause; posting: its refs; ack: its posting
    std::vector<std::pair<match::Ref, match::Ref>> fx_locks;  // posting: the FX locks its lines convert at, and their rates
    std::optional<match::Ref> summary;   // sign-off of a v2 statement: its SignOffSummary
  };
  std::string period;
  std::vector<Item> sign_offs, reopens, postings, acks;
  // Invoices met so far, by index: an invoice cites every line it bills, so each of its lines
  // would otherwise decode the whole invoice again.
  std::map<uint64_t, match::Ref> invoices;
  // Invoice chunks met so far, with the headers citing them: a chunk cites its 200 lines, and
  // each would otherwise decode the chunk (~50 KB) again.
  struct Chunk {
    match::Ref ref;
    std::vector<match::Ref> headers;
  };
  std::map<uint64_t, Chunk> chunks;
  // Every Partner entry of the ledger by partner id, in ledger order, read on first use: the
  // "partner" index also files each of a partner's priced lines, so finding the version a line
  // was priced under by walking it back decoded every earlier line of the partner.
  std::optional<std::map<std::string, std::vector<match::Ref>>> partner_versions;
  // True if entry `index` is an invoice or invoice chunk already met.
  bool billed_by(uint64_t index) const { return invoices.count(index) != 0 || chunks.count(index) != 0; }
};
Result<PeriodTrail> period_trail(const ledger::Snapshot& snapshot, const std::string& period);
// The version of partner `partner_id` in force at entry `at`: its last Partner entry before it
// (none if it had none yet), from the trail's partner versions.
Result<std::optional<match::Ref>> partner_before(const ledger::Snapshot& snapshot, PeriodTrail& trail,
                                                 const std::string& partner_id, uint64_t at);
// As above, with the trail of the line's period already loaded (another period's is loaded).
Result<Lineage> line_lineage_at(const ledger::Snapshot& snapshot, uint64_t index, PeriodTrail& trail);

}  // namespace closebook::close
