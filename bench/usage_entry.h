// The entry the benchmarks append and decode: a usage record as a feed row makes it, the
// commonest entry of a period (~450 bytes sealed).
#pragma once

#include <cstdint>
#include <string>

#include "evidence/entry.h"

namespace closebook::bench {

inline void fill_usage_record(schema::Entry::Builder entry, uint64_t row) {
  entry.setEffective("2026-10");
  auto u = entry.initKind().initUsageRecord();
  u.setVendor("microsoft");
  auto source = u.initSource();
  source.setFileSha256(capnp::Data::Reader(sha256(std::string_view("usage.csv")).data(), 32));
  source.setLine(row + 2);
  u.setUsageDate("2026-10-08");
  u.setTenantRef("06e7e8c4-907e-4ab2-8fce-417259f6115a");
  u.setSubscriptionId("fad90734-462d-46ad-" + std::to_string(100000000000 + row));
  u.setSkuId("CFQ7TTC0LCHC:0002");
  u.setQuantity(std::to_string(row % 40 + 1));
  u.setQuantityBasis(schema::UsageRecord::QuantityBasis::SNAPSHOT);
  u.setUnitType("Licence/Month");
  u.setSourceRef("PC-LIC-20261008-" + std::to_string(row));
}

// Its bytes as the ledger stores them, envelope (index, prevHash, recordedAt, author) filled.
inline std::string usage_entry_bytes(uint64_t index) {
  capnp::MallocMessageBuilder message(128);
  auto entry = message.initRoot<schema::Entry>();
  fill_usage_record(entry, index);
  const Hash h = sha256(std::string_view("previous"));
  entry.setIndex(index + 1);
  entry.setPrevHash(capnp::Data::Reader(h.data(), h.size()));
  entry.setRecordedAt(1795448706343);
  entry.setAuthor(capnp::Data::Reader(h.data(), h.size()));
  return canonical_bytes(entry.asReader());
}

}  // namespace closebook::bench
