#!/usr/bin/env python3
"""Writes map.json: the subject map of docs/ledger.md §7.1 computed from that text alone
(hashlib, no closebook code), so the C++ implementation is checked against an independent one.
Run: python3 make_vector.py > map.json"""
import base64, hashlib, json, struct

def sha(b): return hashlib.sha256(b).digest()
def bucket(subject): d = sha(subject); return d[0] << 8 | d[1]

def head(indexes):
    chain = bytes(32)
    for i in indexes: chain = sha(b"\x02" + chain + struct.pack(">Q", i))
    return struct.pack(">Q", len(indexes)) + struct.pack(">Q", indexes[-1]) + chain

def bucket_hash(items):  # items: [(subject, head bytes)] in ascending subject order
    return sha(b"\x03" + b"".join(struct.pack(">I", len(s)) + s + h for s, h in items))

def root(subjects):
    buckets = {}
    for s, idx in sorted(subjects.items()): buckets.setdefault(bucket(s), []).append((s, head(idx)))
    level = [sha(b"\x00" + bucket_hash(buckets.get(b, []))) for b in range(1 << 16)]
    while len(level) > 1: level = [sha(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0], buckets

subjects = {b"kind\x00keyEvent": [0, 7], b"line\x00PL-2026-10-0f3c": [12, 40, 41], b"period\x002026-10": [3]}
# Two subjects in one bucket, to fix the order heads are hashed in.
target = bucket(b"partner\x00P001")
n = 0
while bucket(b"tenant\x00T" + str(n).encode()) != target: n += 1
subjects[b"partner\x00P001"] = [5, 9]
subjects[b"tenant\x00T" + str(n).encode()] = [6]
empty_root, _ = root({})
full_root, buckets = root(subjects)
print(json.dumps({
    "spec": "docs/ledger.md §7.1 (closebook-subjects/v2)",
    "empty_root_b64": base64.b64encode(empty_root).decode(),
    "subjects": [{"subject_hex": s.hex(), "indexes": idx, "bucket": bucket(s), "head_hex": head(idx).hex()}
                 for s, idx in sorted(subjects.items())],
    "buckets": [{"bucket": b, "hash_hex": bucket_hash(items).hex()} for b, items in sorted(buckets.items())],
    "root_b64": base64.b64encode(full_root).decode(),
    "extension_line": "closebook-subjects/v2 " + base64.b64encode(full_root).decode(),
}, indent=2))
