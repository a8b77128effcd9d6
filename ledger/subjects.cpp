#include "ledger/subjects.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <vector>

#include "ledger/indexes.h"
#include "ledger/ledger.h"

namespace closebook::ledger {
namespace {

MDB_val as_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view as_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

std::string bucket_prefix(uint16_t bucket) {
  return std::string{static_cast<char>(bucket >> 8), static_cast<char>(bucket & 0xff)};
}

// A heads-table key: the subject's bucket (two bytes), then the subject.
std::string head_db_key(uint16_t bucket, std::string_view subject) {
  std::string key = bucket_prefix(bucket);
  key += subject;
  return key;
}
std::string head_db_key(std::string_view subject) { return head_db_key(subject_bucket(subject), subject); }

std::string node_db_key(unsigned level, uint32_t index) {
  assert(level <= kSubjectTreeLevels && index < (kSubjectBuckets >> level));
  return std::string{static_cast<char>(level), static_cast<char>(index >> 8), static_cast<char>(index & 0xff)};
}

Result<Hash> stored_node(MDB_txn* txn, const SubjectTables& tables, unsigned level, uint32_t index) {
  const std::string key = node_db_key(level, index);
  MDB_val k = as_val(key);
  MDB_val v;
  const int rc = mdb_get(txn, tables.nodes, &k, &v);
  if (rc == MDB_NOTFOUND) return empty_subject_node(level);
  if (rc != 0) return lmdb_error(rc, "read subject node");
  if (v.mv_size != 32) return Error::corruption("a subject node is not 32 bytes");
  Hash h;
  std::copy_n(static_cast<const uint8_t*>(v.mv_data), 32, h.begin());
  return h;
}

// Calls `fn(subject, head)` for each head stored under a bucket, in ascending subject order,
// as the cursor reads them (the subject's view lasts only for the call).
template <class Fn>
Status each_head(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket, Fn&& fn) {
  const std::string prefix = bucket_prefix(bucket);
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, tables.heads, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on subject heads");
  MDB_val k = as_val(prefix);
  MDB_val v;
  Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE); rc == 0 && as_view(k).starts_with(prefix);
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto head = SubjectHead::decode(as_view(v));
    if (!head.ok()) {
      status = std::move(head).error();
      break;
    }
    fn(as_view(k).substr(2), *head);
  }
  mdb_cursor_close(cursor);
  CB_CHECK(status);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "read subject heads");
  return {};
}

// The heads stored under a bucket, in ascending subject order.
Result<std::vector<std::pair<std::string, SubjectHead>>> bucket_heads(MDB_txn* txn, const SubjectTables& tables,
                                                                      uint16_t bucket) {
  std::vector<std::pair<std::string, SubjectHead>> out;
  CB_CHECK(each_head(txn, tables, bucket,
                     [&](std::string_view subject, const SubjectHead& head) { out.emplace_back(std::string(subject), head); }));
  return out;
}

Hash bucket_hash_of(const std::vector<std::pair<std::string, SubjectHead>>& heads) {
  SubjectBucketHasher hasher;
  for (const auto& [subject, head] : heads) hasher.add(subject, head);
  return hasher.finish();
}

// The leaf hash of a bucket, from the heads stored under it. Hashed as the cursor reads them,
// without a copy of each: a large batch touches nearly every bucket, twice.
Result<Hash> bucket_leaf(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket) {
  SubjectBucketHasher hasher;
  CB_CHECK(each_head(txn, tables, bucket, [&](std::string_view subject, const SubjectHead& head) { hasher.add(subject, head); }));
  return leaf_hash(Bytes(hasher.finish()));
}

Status put_node(MDB_txn* txn, const SubjectTables& tables, unsigned level, uint32_t index, const Hash& h) {
  const std::string key = node_db_key(level, index);
  MDB_val k = as_val(key);
  MDB_val v{h.size(), const_cast<uint8_t*>(h.data())};
  if (int rc = mdb_put(txn, tables.nodes, &k, &v, 0); rc != 0) return lmdb_error(rc, "write subject node");
  return {};
}

// The root of the bucket tree with `leaves` in place of the stored leaves at their positions,
// every other node as stored. With `write`, the leaves and the nodes above them are stored.
Result<Hash> root_with(MDB_txn* txn, const SubjectTables& tables, std::map<uint32_t, Hash> nodes, bool write) {
  for (unsigned level = 0; level < kSubjectTreeLevels; ++level) {
    std::map<uint32_t, Hash> parents;
    for (const auto& [index, h] : nodes) {
      if (write) CB_CHECK(put_node(txn, tables, level, index, h));
      if (parents.contains(index >> 1)) continue;  // its sibling was touched too, and came first
      const uint32_t sibling = index ^ 1;
      Hash other;
      if (auto it = nodes.find(sibling); it != nodes.end()) {
        other = it->second;
      } else {
        CB_TRY(other, stored_node(txn, tables, level, sibling));
      }
      parents[index >> 1] = (index & 1) == 0 ? node_hash(h, other) : node_hash(other, h);
    }
    nodes = std::move(parents);
  }
  if (nodes.empty()) return stored_node(txn, tables, kSubjectTreeLevels, 0);
  assert(nodes.size() == 1 && nodes.begin()->first == 0);
  if (write) CB_CHECK(put_node(txn, tables, kSubjectTreeLevels, 0, nodes.begin()->second));
  return nodes.begin()->second;
}

}  // namespace

std::string content_subject(std::string_view content_key) { return index_db_key("content", content_key); }

const Hash& empty_subjects_root() { return empty_subject_node(kSubjectTreeLevels); }

namespace {

// The head stored under a heads-table key (bucket bytes, then the subject).
Result<std::optional<SubjectHead>> read_head_at(MDB_txn* txn, const SubjectTables& tables, const std::string& key) {
  MDB_val k = as_val(key);
  MDB_val v;
  const int rc = mdb_get(txn, tables.heads, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<SubjectHead>();
  if (rc != 0) return lmdb_error(rc, "read subject head");
  CB_TRY(SubjectHead head, SubjectHead::decode(as_view(v)));
  return std::optional<SubjectHead>(head);
}

}  // namespace

Result<std::optional<SubjectHead>> read_subject_head(MDB_txn* txn, const SubjectTables& tables,
                                                     std::string_view subject) {
  return read_head_at(txn, tables, head_db_key(subject));
}

Status prove_bucket(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket, const Hash& root) {
  CB_TRY(Hash leaf, bucket_leaf(txn, tables, bucket));
  CB_TRY(Hash computed, root_with(txn, tables, {{bucket, leaf}}, /*write=*/false));
  if (computed != root) {
    return Error::corruption("the ledger's indexes (subject bucket " + std::to_string(bucket) +
                             ") do not match the subject map the log signed: they were edited or damaged; "
                             "rebuild them from the entries with `closebook reindex`");
  }
  return {};
}

Result<SubjectBucketProof> bucket_proof(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket, const Hash& root) {
  SubjectBucketProof proof{bucket, {}, {}};
  CB_TRY(proof.heads, bucket_heads(txn, tables, bucket));
  for (unsigned level = 0; level < kSubjectTreeLevels; ++level) {
    CB_TRY(Hash sibling, stored_node(txn, tables, level, (uint32_t{bucket} >> level) ^ 1));
    proof.path.push_back(sibling);
  }
  if (subject_root_from_path(bucket, bucket_hash_of(proof.heads), proof.path) != root) {
    return Error::corruption("the ledger's indexes (subject bucket " + std::to_string(bucket) +
                             ") do not match the subject map the log signed: they were edited or damaged; "
                             "rebuild them from the entries with `closebook reindex`");
  }
  return proof;
}

Status SubjectWriter::touch(uint16_t bucket) {
  if (touched_[bucket]) return {};
  CB_TRY(Hash leaf, bucket_leaf(txn_, tables_, bucket));
  leaves_before_.emplace_back(bucket, leaf);
  touched_[bucket] = true;
  return {};
}

Result<SubjectWriter::Pending*> SubjectWriter::pending(std::string_view subject) {
  if (auto it = pending_.find(subject); it != pending_.end()) return &it->second;
  if (pending_.size() >= kPendingHeadsMax) CB_CHECK(flush());
  const uint16_t bucket = subject_bucket(subject);
  CB_CHECK(touch(bucket));
  CB_TRY(std::optional<SubjectHead> stored, read_head_at(txn_, tables_, head_db_key(bucket, subject)));
  return &pending_.emplace(std::string(subject), Pending{bucket, stored, false}).first->second;
}

Result<std::optional<SubjectHead>> SubjectWriter::head(std::string_view subject) {
  CB_TRY(Pending * p, pending(subject));
  return p->head;
}

Status SubjectWriter::file(std::string_view subject, uint64_t index) {
  CB_TRY(Pending * p, pending(subject));
  std::optional<SubjectHead>& head = p->head;
  if (!head) head.emplace();
  if (head->count != 0 && index == head->last) return {};  // an entry filed twice under one key counts once, as in the index
  if (head->count != 0 && index < head->last) {
    return Error::corruption("an entry is filed under a subject out of order (a damaged subject head)");
  }
  head->add(index);
  p->changed = true;
  return {};
}

Status SubjectWriter::flush() {
  using Item = std::pair<const std::string, Pending>;
  std::vector<const Item*> sorted;
  sorted.reserve(pending_.size());
  for (const Item& p : pending_) {
    if (p.second.changed) sorted.push_back(&p);
  }
  // The heads table's order (bucket, then subject), so the puts walk the B-tree once.
  std::sort(sorted.begin(), sorted.end(), [](const Item* a, const Item* b) {
    return a->second.bucket != b->second.bucket ? a->second.bucket < b->second.bucket : a->first < b->first;
  });
  for (const Item* p : sorted) {
    assert(p->second.head && p->second.head->count > 0);
    const std::string key = head_db_key(p->second.bucket, p->first);
    const auto value = p->second.head->encoded();
    MDB_val k = as_val(key);
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    if (int rc = mdb_put(txn_, tables_.heads, &k, &v, 0); rc != 0) return lmdb_error(rc, "write subject head");
  }
  pending_.clear();
  return {};
}

Result<Hash> SubjectWriter::commit(const Hash& signed_root) {
  CB_CHECK(flush());
  std::map<uint32_t, Hash> before(leaves_before_.begin(), leaves_before_.end());
  CB_TRY(Hash root_before, root_with(txn_, tables_, std::move(before), /*write=*/false));
  if (root_before != signed_root) {
    return Error::corruption("the ledger's indexes do not match the subject map the log last signed: they were "
                             "edited or damaged; nothing was written; rebuild them with `closebook reindex`");
  }
  std::map<uint32_t, Hash> after;
  for (const auto& [bucket, unused] : leaves_before_) {
    CB_TRY(after[bucket], bucket_leaf(txn_, tables_, bucket));
  }
  return root_with(txn_, tables_, std::move(after), /*write=*/true);
}

}  // namespace closebook::ledger
