// verify.go — third-party interoperability verifier for closebook output.
//
// It checks closebook's signed checkpoints and Merkle proofs using ONLY the Go
// standard library plus golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, i.e. with code that closebook does not control.
//
// Build (offline, GOPATH mode, Debian's golang-golang-x-mod-dev 0.7.0):
//
//	cd tests/interop && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=/tmp/gocache go build -o /tmp/interop-verify verify.go
//
// Usage (exit 0 and one "ok: ..." line on stdout on success; exit 1 and a
// "FAIL: ..." line on stderr otherwise, including for usage errors):
//
//	interop-verify verify checkpoint  VKEYFILE CHECKPOINTFILE
//	interop-verify verify inclusion   VKEYFILE CHECKPOINTFILE PROOFJSON ENTRYFILE
//	interop-verify verify consistency VKEYFILE OLDCHECKPOINT NEWCHECKPOINT PROOFJSON
//	interop-verify verify note        VKEYFILE NOTEFILE
//	interop-verify verify cosignature VKEYFILE COSIGNERVKEYFILE CHECKPOINTFILE
//	                 (the log's checkpoint, cosigned by the witness per
//	                 c2sp.org/tlog-cosignature: cosignature/v1, written here
//	                 from that spec with crypto/ed25519 and note.Verifier.)
//
//	A checkpoint is the log's: its origin line must be the key's name
//	(c2sp.org/tlog-checkpoint: "The log's key name in its signature line SHOULD
//	match the origin line"; closebook makes it a MUST, docs/ledger.md §4), so a
//	key trusted for one log does not vouch for another log's checkpoints, and a
//	witness's or approver's key does not make a checkpoint the log's.
//	"verify note" checks only that the key signed the note (any text), e.g. an
//	approver's signature on a sign-off statement.
//
//	VKEYFILE:        one line "<name>+<hex8 keyhash>+<base64(0x01||pubkey32)>",
//	                 optionally followed by a single "\n" (or "\r\n").
//	CHECKPOINTFILE:  a C2SP signed note (c2sp.org/signed-note) whose text is a
//	                 C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint).
//	inclusion JSON:  {"index":I,"size":N,"leaf_hash":"<hex>","hashes":["<hex>",...]}
//	consistency JSON:{"old_size":M,"size":N,"hashes":["<hex>",...]}
//	                 (hashes: 64 lowercase hex chars each, RFC 9162 order.)
//	ENTRYFILE:       the raw entry bytes (leaf hash = SHA-256(0x00 || bytes)).
//
// ---------------------------------------------------------------------------
// What was checked in x/mod v0.7.0 (sumdb/tlog/tlog.go, sumdb/note/note.go)
// before relying on it:
//
//   - Hashing. tlog.RecordHash(data) = SHA-256(0x00 || data) and
//     tlog.NodeHash(l, r) = SHA-256(0x01 || l || r): exactly the RFC 6962 §2.1 /
//     RFC 9162 §2.1.1 leaf and interior-node hashes. maxpow2(n) returns the
//     largest power of two strictly less than n, i.e. RFC 6962's split point k.
//
//   - Inclusion proof order. tlog.leafProof recurses into the half that holds
//     the leaf and then APPENDS the hash of the other half
//     ("return append(p, th)"), which is RFC 6962 §2.1.1
//     PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) (resp. the mirror case).
//     The list therefore runs from the leaf's sibling up to the root's child
//     that does not contain the leaf — the same bottom-to-top audit path as
//     RFC 9162 §2.1.3. tlog.runRecordProof consumes it the same way: the LAST
//     element is combined at the top, NodeHash(sub, last) when the leaf is in
//     the left half, NodeHash(last, sub) when in the right half. It rejects
//     proofs with surplus or missing hashes.
//
//   - Consistency proof order. tlog.treeProof is RFC 6962 §2.1.2 SUBPROOF:
//     when the old size m equals the current subtree size it emits nothing if
//     that subtree is the whole old tree (b = true), else MTH of that subtree;
//     otherwise it recurses and APPENDS the other half's hash. This is the
//     RFC 9162 §2.1.4 consistency proof order, and tlog.runTreeProof checks
//     both the old and new roots from it.
//
//   - Cross-check. tlog's own ct_test.go verifies live Certificate Transparency
//     (argon2020) inclusion and consistency proofs with CheckRecord/CheckTree,
//     and the known-answer proofs of google/certificate-transparency
//     cpp/merkletree/merkle_tree_test.cc and transparency-dev/merkle
//     proof/verify_test.go (see tests/vectors/rfc6962_vectors.h) were checked:
//     over the 8 CT test leaves tlog.TreeHash gives the CT roots for sizes
//     1..8, tlog.ProveRecord/ProveTree output those exact proofs (0-based leaf
//     indexes, same element order), CheckRecord/CheckTree accept them, and
//     this program accepts them end to end (signed checkpoints + JSON).
//
//   - Edge cases of tlog to keep in mind: tlog.TreeHash(0, …) returns an
//     all-zero hash, NOT the RFC 6962 empty-tree hash SHA-256("") — so this
//     program never asks tlog for an empty tree's root; it requires a size-0
//     checkpoint to carry SHA-256("") (MTH({}) per RFC 6962/9162).
//     CheckTree requires 1 <= old size <= new size; the old size 0 case is
//     handled here (trivially consistent, empty proof required). CheckRecord
//     requires 0 <= index < size.
//
//   - Signatures (note.Open). Each signature line is looked up in the
//     Verifiers by (key name, 4-byte key ID). Lines whose (name, ID) pair is
//     not known are NOT errors: they are collected in Note.UnverifiedSigs and
//     otherwise ignored (as c2sp.org/signed-note requires — witness cosignatures,
//     key rotation). A line from a known key whose signature does not verify
//     makes Open fail with *note.InvalidSignatureError (the whole note is
//     rejected). If no known key signed, Open fails with
//     *note.UnverifiedNoteError. Open also rejects non-UTF-8 input, ASCII
//     control characters other than '\n' (so CRLF notes fail), a missing blank
//     line before the signatures, malformed signature lines, and more than 100
//     signature lines; identical duplicate lines are dropped. Here the
//     VerifierList contains only the closebook key, so success means that key's
//     Ed25519 signature over the exact note text verified; we additionally
//     assert that the key appears in Note.Sigs.
//     Gap found: after one line from a key verifies, note.Open skips further
//     lines with the same (name, key ID) WITHOUT verifying them ("drop
//     repeated signatures by a single verifier"), so a valid line followed by
//     a corrupted copy is accepted (the reverse order is rejected). Because
//     the spec says such signatures MUST be verified, checkEveryKnownSig
//     re-verifies every line carrying the closebook key with Verifier.Verify.
//
// ---------------------------------------------------------------------------
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const usage = `usage:
  interop-verify verify checkpoint  VKEYFILE CHECKPOINTFILE
  interop-verify verify inclusion   VKEYFILE CHECKPOINTFILE PROOFJSON ENTRYFILE
  interop-verify verify consistency VKEYFILE OLDCHECKPOINT NEWCHECKPOINT PROOFJSON
  interop-verify verify note        VKEYFILE NOTEFILE
  interop-verify verify cosignature VKEYFILE COSIGNERVKEYFILE CHECKPOINTFILE`

// Upper bound on file sizes we are willing to read for keys, checkpoints and
// proofs (entries are unbounded). Generous; only guards against mistakes.
const maxSmallFile = 1 << 20

// emptyTreeHash is MTH({}) = SHA-256("") (RFC 6962 §2.1, RFC 9162 §2.1.1).
var emptyTreeHash = tlog.Hash(sha256.Sum256(nil))

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	args := os.Args[1:]
	if len(args) < 2 || args[0] != "verify" {
		fail("bad arguments\n%s", usage)
	}
	var line string
	var err error
	switch args[1] {
	case "checkpoint":
		if len(args) != 4 {
			fail("verify checkpoint takes 2 arguments\n%s", usage)
		}
		line, err = cmdCheckpoint(args[2], args[3])
	case "inclusion":
		if len(args) != 6 {
			fail("verify inclusion takes 4 arguments\n%s", usage)
		}
		line, err = cmdInclusion(args[2], args[3], args[4], args[5])
	case "consistency":
		if len(args) != 6 {
			fail("verify consistency takes 4 arguments\n%s", usage)
		}
		line, err = cmdConsistency(args[2], args[3], args[4], args[5])
	case "cosignature":
		if len(args) != 5 {
			fail("verify cosignature takes 3 arguments\n%s", usage)
		}
		line, err = cmdCosignature(args[2], args[3], args[4])
	case "note":
		if len(args) != 4 {
			fail("verify note takes 2 arguments\n%s", usage)
		}
		line, err = cmdNote(args[2], args[3])
	default:
		fail("unknown subcommand %q\n%s", args[1], usage)
	}
	if err != nil {
		fail("%v", err)
	}
	fmt.Println("ok: " + line)
}

// ---------------------------------------------------------------------------
// Files.

func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}

// loadVerifier reads a verifier key file: exactly one vkey line, optionally
// terminated by "\n" or "\r\n", nothing else.
func loadVerifier(path string) (note.Verifier, error) {
	b, err := readFile(path, maxSmallFile)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %v", err)
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
	}
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("verifier key %s: must contain exactly one key line", path)
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return nil, fmt.Errorf("verifier key %s: %v", path, err)
	}
	return v, nil
}

// ---------------------------------------------------------------------------
// Checkpoints.

type checkpoint struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Extensions []string
	KeyName    string
	KeyHash    uint32
	OtherSigs  int // signature lines from keys other than ours (ignored)
}

// parseSize accepts only canonical ASCII decimal: "0" or [1-9][0-9]*, fitting
// in an int64 (tlog's size type).
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty tree size")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("tree size %q is not a decimal number", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("tree size %q has a leading zero", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tree size %q out of range", s)
	}
	return n, nil
}

// parseRoot accepts only canonical standard base64 (RFC 4648 §4, padded)
// of exactly 32 bytes.
func parseRoot(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("root hash %q is not valid base64: %v", s, err)
	}
	if len(b) != tlog.HashSize {
		return h, fmt.Errorf("root hash decodes to %d bytes, want %d", len(b), tlog.HashSize)
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("root hash %q is not canonical base64", s)
	}
	copy(h[:], b)
	return h, nil
}

// parseCheckpointText parses a c2sp.org/tlog-checkpoint note text (which,
// as returned by note.Open, includes its final newline).
func parseCheckpointText(text string) (*checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("checkpoint text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("checkpoint text has %d lines, want at least 3 (origin, size, root)", len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return nil, fmt.Errorf("checkpoint text line %d is empty", i+1)
		}
	}
	c := &checkpoint{Origin: lines[0], Extensions: lines[3:]}
	var err error
	if c.Size, err = parseSize(lines[1]); err != nil {
		return nil, fmt.Errorf("checkpoint line 2: %v", err)
	}
	if c.Root, err = parseRoot(lines[2]); err != nil {
		return nil, fmt.Errorf("checkpoint line 3: %v", err)
	}
	if c.Size == 0 && c.Root != emptyTreeHash {
		return nil, fmt.Errorf("checkpoint has size 0 but root %x, want SHA-256(\"\") = %x", c.Root[:], emptyTreeHash[:])
	}
	return c, nil
}

// openNote opens the signed note at path with the given key alone: note.Open,
// then every line of that key re-verified (checkEveryKnownSig). what names the
// file in errors ("checkpoint", "note").
func openNote(v note.Verifier, what, path string) (*note.Note, error) {
	msg, err := readFile(path, maxSmallFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%s %s: no signature by key %s+%08x (signature lines present: %d, none from this key)",
				what, path, v.Name(), v.KeyHash(), len(unverified.Note.UnverifiedSigs))
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%s %s: signature by key %s+%08x does not verify", what, path, v.Name(), v.KeyHash())
		default:
			return nil, fmt.Errorf("%s %s: cannot open signed note: %v", what, path, err)
		}
	}
	found := false
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			found = true
		}
	}
	if !found { // cannot happen with a single-key VerifierList; belt and braces.
		return nil, fmt.Errorf("%s %s: not signed by key %s+%08x", what, path, v.Name(), v.KeyHash())
	}
	if err := checkEveryKnownSig(msg, n.Text, v); err != nil {
		return nil, fmt.Errorf("%s %s: %v", what, path, err)
	}
	return n, nil
}

// loadCheckpoint verifies the signed note with the given key and parses it as
// that key's log's checkpoint.
// verifiedCheckpoint reads the verifier key at vkeyPath and the checkpoint it signs at cpPath.
func verifiedCheckpoint(vkeyPath, cpPath string) (*checkpoint, error) {
	v, err := loadVerifier(vkeyPath)
	if err != nil {
		return nil, err
	}
	return loadCheckpoint(v, cpPath)
}

func loadCheckpoint(v note.Verifier, path string) (*checkpoint, error) {
	n, err := openNote(v, "checkpoint", path)
	if err != nil {
		return nil, err
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	// c2sp.org/tlog-checkpoint: the origin names the log, and the log's key name
	// in its signature line matches it. A valid signature by a key named
	// otherwise (another log's, a witness's, an approver's) does not make this
	// note that key's log checkpoint.
	if c.Origin != v.Name() {
		return nil, fmt.Errorf("checkpoint %s: origin %q is not the key's name %q", path, c.Origin, v.Name())
	}
	c.KeyName, c.KeyHash, c.OtherSigs = v.Name(), v.KeyHash(), len(n.UnverifiedSigs)
	return c, nil
}

// checkEveryKnownSig closes a gap in note.Open: once one signature line from
// a key has verified, Open silently skips any FURTHER lines with the same
// (key name, key ID) without verifying them, so "valid line + corrupted copy"
// is accepted (while "corrupted copy + valid line" is rejected). The C2SP
// signed-note spec says verifiers MUST verify every signature whose name and
// ID match a known key, and SHOULD reject the note if one fails; we do that.
// msg has already been accepted by note.Open, so its layout is known-good:
// text, "\n", then signature lines.
func checkEveryKnownSig(msg []byte, text string, v note.Verifier) error {
	sigs := string(msg[len(text)+1:])
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		line = strings.TrimPrefix(line, "\u2014 ")
		i := strings.IndexByte(line, ' ')
		if i < 0 || line[:i] != v.Name() {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(line[i+1:])
		if err != nil || len(sig) < 5 {
			continue // note.Open already rejects these
		}
		if binary.BigEndian.Uint32(sig[:4]) != v.KeyHash() {
			continue
		}
		if !v.Verify([]byte(text), sig[4:]) {
			return fmt.Errorf("a repeated signature line by key %s+%08x does not verify", v.Name(), v.KeyHash())
		}
	}
	return nil
}

func (c *checkpoint) describe() string {
	return fmt.Sprintf("origin=%q size=%d root=%x", c.Origin, c.Size, c.Root[:])
}

// ---------------------------------------------------------------------------
// Proof JSON.

type inclusionJSON struct {
	Index    *uint64   `json:"index"`
	Size     *uint64   `json:"size"`
	LeafHash *string   `json:"leaf_hash"`
	Hashes   *[]string `json:"hashes"`
}

type consistencyJSON struct {
	OldSize *uint64   `json:"old_size"`
	Size    *uint64   `json:"size"`
	Hashes  *[]string `json:"hashes"`
}

// decodeStrict decodes exactly one JSON object with no unknown fields and no
// trailing data.
func decodeStrict(path string, v interface{}) error {
	b, err := readFile(path, maxSmallFile)
	if err != nil {
		return fmt.Errorf("proof: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("proof %s: invalid JSON: %v", path, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("proof %s: trailing data after JSON object", path)
	}
	return nil
}

// parseHex accepts exactly 64 lowercase hex characters.
func parseHex(what, s string) (tlog.Hash, error) {
	var h tlog.Hash
	if len(s) != 2*tlog.HashSize {
		return h, fmt.Errorf("%s %q: want %d hex characters, got %d", what, s, 2*tlog.HashSize, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return h, fmt.Errorf("%s %q: not lowercase hex", what, s)
		}
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%s %q: %v", what, s, err)
	}
	return h, nil
}

func parseHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(list))
	for i, s := range list {
		h, err := parseHex(fmt.Sprintf("hashes[%d]", i), s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func toInt64(what string, v uint64) (int64, error) {
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("%s %d out of range", what, v)
	}
	return int64(v), nil
}

// ---------------------------------------------------------------------------
// Subcommands.

func cmdCheckpoint(vkeyPath, cpPath string) (string, error) {
	c, err := verifiedCheckpoint(vkeyPath, cpPath)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("checkpoint %s key=%s+%08x extensions=%d other_sigs=%d",
		c.describe(), c.KeyName, c.KeyHash, len(c.Extensions), c.OtherSigs), nil
}

func cmdNote(vkeyPath, notePath string) (string, error) {
	v, err := loadVerifier(vkeyPath)
	if err != nil {
		return "", err
	}
	n, err := openNote(v, "note", notePath)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("note of %d bytes signed by key=%s+%08x other_sigs=%d",
		len(n.Text), v.Name(), v.KeyHash(), len(n.UnverifiedSigs)), nil
}

func cmdInclusion(vkeyPath, cpPath, proofPath, entryPath string) (string, error) {
	c, err := verifiedCheckpoint(vkeyPath, cpPath)
	if err != nil {
		return "", err
	}
	var pj inclusionJSON
	if err := decodeStrict(proofPath, &pj); err != nil {
		return "", err
	}
	if pj.Index == nil || pj.Size == nil || pj.LeafHash == nil || pj.Hashes == nil {
		return "", fmt.Errorf("proof %s: fields index, size, leaf_hash and hashes (array) are all required", proofPath)
	}
	index, err := toInt64("index", *pj.Index)
	if err != nil {
		return "", err
	}
	size, err := toInt64("size", *pj.Size)
	if err != nil {
		return "", err
	}
	if size != c.Size {
		return "", fmt.Errorf("proof size %d != checkpoint size %d", size, c.Size)
	}
	if index >= size {
		return "", fmt.Errorf("proof index %d not below tree size %d", index, size)
	}
	claimed, err := parseHex("leaf_hash", *pj.LeafHash)
	if err != nil {
		return "", err
	}
	proof, err := parseHashes(*pj.Hashes)
	if err != nil {
		return "", err
	}
	entry, err := readFile(entryPath, 0)
	if err != nil {
		return "", fmt.Errorf("entry: %v", err)
	}
	leaf := tlog.RecordHash(entry)
	if leaf != claimed {
		return "", fmt.Errorf("leaf hash mismatch: SHA-256(0x00||entry) = %x, proof says %x", leaf[:], claimed[:])
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), size, c.Root, index, leaf); err != nil {
		return "", fmt.Errorf("inclusion proof for index %d in tree of size %d does not verify against root %x: %v",
			index, size, c.Root[:], err)
	}
	return fmt.Sprintf("inclusion index=%d leaf_hash=%x proof_len=%d in checkpoint %s",
		index, leaf[:], len(proof), c.describe()), nil
}

func cmdConsistency(vkeyPath, oldPath, newPath, proofPath string) (string, error) {
	v, err := loadVerifier(vkeyPath)
	if err != nil {
		return "", err
	}
	oc, err := loadCheckpoint(v, oldPath)
	if err != nil {
		return "", err
	}
	nc, err := loadCheckpoint(v, newPath)
	if err != nil {
		return "", err
	}
	if oc.Origin != nc.Origin {
		return "", fmt.Errorf("origin mismatch: old %q, new %q", oc.Origin, nc.Origin)
	}
	var pj consistencyJSON
	if err := decodeStrict(proofPath, &pj); err != nil {
		return "", err
	}
	if pj.OldSize == nil || pj.Size == nil || pj.Hashes == nil {
		return "", fmt.Errorf("proof %s: fields old_size, size and hashes (array) are all required", proofPath)
	}
	m, err := toInt64("old_size", *pj.OldSize)
	if err != nil {
		return "", err
	}
	n, err := toInt64("size", *pj.Size)
	if err != nil {
		return "", err
	}
	if m != oc.Size {
		return "", fmt.Errorf("proof old_size %d != old checkpoint size %d", m, oc.Size)
	}
	if n != nc.Size {
		return "", fmt.Errorf("proof size %d != new checkpoint size %d", n, nc.Size)
	}
	if m > n {
		return "", fmt.Errorf("old size %d is larger than new size %d", m, n)
	}
	proof, err := parseHashes(*pj.Hashes)
	if err != nil {
		return "", err
	}
	if m == 0 {
		// The empty tree is a prefix of every tree; tlog.CheckTree does not
		// accept old size 0. Its root was already checked to be SHA-256("").
		if len(proof) != 0 {
			return "", fmt.Errorf("consistency proof from size 0 must be empty, got %d hashes", len(proof))
		}
	} else if err := tlog.CheckTree(tlog.TreeProof(proof), n, nc.Root, m, oc.Root); err != nil {
		return "", fmt.Errorf("consistency proof %d -> %d does not verify (old root %x, new root %x): %v",
			m, n, oc.Root[:], nc.Root[:], err)
	}
	return fmt.Sprintf("consistency origin=%q %d -> %d old_root=%x new_root=%x proof_len=%d",
		nc.Origin, m, n, oc.Root[:], nc.Root[:], len(proof)), nil
}

// ---------------------------------------------------------------------------
// Cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1).

// cosigV1 verifies a witness's cosignature line: key hash SHA-256(name || "\n" ||
// 0x04 || key)[:4]; signature u64be(timestamp) || Ed25519 over "cosignature/v1\n"
// "time <timestamp>\n" || the note text.
type cosigV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	time uint64 // of the last signature that verified
}

func (c *cosigV1) Name() string    { return c.name }
func (c *cosigV1) KeyHash() uint32 { return c.hash }
func (c *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	if !ed25519.Verify(c.key, m, sig[8:]) {
		return false
	}
	c.time = t
	return true
}

func loadCosigner(path string) (*cosigV1, error) {
	b, err := readFile(path, maxSmallFile)
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(strings.TrimRight(string(b), "\n"), "+", 3) // base64 may hold "+"
	if len(parts) != 3 {
		return nil, fmt.Errorf("cosigner key %s: not name+hash+key", path)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, fmt.Errorf("cosigner key %s: not a type 0x04 Ed25519 key", path)
	}
	h := sha256.Sum256(append(append([]byte(parts[0]+"\n"), 0x04), raw[1:]...))
	want := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", want) != parts[1] {
		return nil, fmt.Errorf("cosigner key %s: key hash does not match", path)
	}
	return &cosigV1{name: parts[0], hash: want, key: ed25519.PublicKey(raw[1:])}, nil
}

func cmdCosignature(vkeyPath, cosignerPath, cpPath string) (string, error) {
	c, err := verifiedCheckpoint(vkeyPath, cpPath)
	if err != nil {
		return "", err
	}
	w, err := loadCosigner(cosignerPath)
	if err != nil {
		return "", err
	}
	if _, err := openNote(w, "cosigned checkpoint", cpPath); err != nil {
		return "", err
	}
	return fmt.Sprintf("checkpoint %s cosigned by %s+%08x at %d", c.describe(), w.name, w.hash, w.time), nil
}
