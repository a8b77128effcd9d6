// tiles.go — reads a closebook log published as C2SP tlog-tiles from a web server, with
// only Go's standard library and golang.org/x/mod/sumdb/{note,tlog} (Debian's
// golang-golang-x-mod-dev 0.7.0, GOPATH mode), i.e. code closebook does not control.
//
//	interop-tiles BASEURL VKEYFILE [OLDCHECKPOINTFILE]
//
// It fetches BASEURL/checkpoint and opens it with note.Open under the key (the origin line
// must be the key's name, docs/ledger.md §4); builds tlog's tile hash reader over HTTP
// (tlog.TileHashReader checks every tile it loads against the signed tree); recomputes
// the root with tlog.TreeHash; for every entry, reads its entry bundle and proves its
// record hash with tlog.ProveRecord / CheckRecord; and, given an older checkpoint, proves
// the trees consistent with tlog.ProveTree / CheckTree. Exit 0 and "ok: ..." on success;
// exit 1 and "FAIL: ..." otherwise.
//
// Path mapping: x/mod's Tile.Path is the Go checksum database's layout, "tile/8/L/N[.p/W]"
// with L "data" for record tiles; c2sp.org/tlog-tiles fixes the height at 8 and names them
// "tile/L/N[.p/W]" and "tile/entries/N[.p/W]". The N encoding (x001/x234/067) is the same.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func get(base, path string) ([]byte, error) {
	resp, err := http.Get(base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func c2spPath(t tlog.Tile) string {
	p := t.Path()
	if t.L == -1 {
		return strings.Replace(p, "tile/8/data/", "tile/entries/", 1)
	}
	return strings.Replace(p, "tile/8/", "tile/", 1)
}

type httpTiles struct{ base string }

func (r httpTiles) Height() int { return height }
func (r httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := get(r.base, c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
func (r httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// openCheckpoint opens a signed checkpoint with the log's key and parses its tree
// (c2sp.org/tlog-checkpoint: origin, decimal size, base64 root, then optional lines).
// tlog.ParseTree wants the Go checksum database's origin, so the lines are read here.
func openCheckpoint(msg []byte, verifier note.Verifier) tlog.Tree {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}
}

// entries splits an entry bundle: each entry a big-endian uint16 length, then its bytes.
func entries(bundle []byte) [][]byte {
	var out [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			fail("entry bundle ends inside a length")
		}
		n := int(bundle[0])<<8 | int(bundle[1])
		if len(bundle) < 2+n {
			fail("entry bundle cut short")
		}
		out = append(out, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	return out
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fail("usage: interop-tiles BASEURL VKEYFILE [OLDCHECKPOINTFILE]")
	}
	base := strings.TrimRight(os.Args[1], "/")
	vkey, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := get(base, "checkpoint")
	if err != nil {
		fail("%v", err)
	}
	tree := openCheckpoint(msg, verifier)
	reader := tlog.TileHashReader(tree, httpTiles{base})
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if root != tree.Hash {
		fail("root from tiles %v is not the checkpoint's %v", root, tree.Hash)
	}
	proven := int64(0)
	for n := int64(0); n*256 < tree.N; n++ {
		width := tree.N - n*256
		if width > 256 {
			width = 256
		}
		bundle, err := get(base, c2spPath(tlog.Tile{H: height, L: -1, N: n, W: int(width)}))
		if err != nil {
			fail("%v", err)
		}
		records := entries(bundle)
		if int64(len(records)) != width {
			fail("entry bundle %d holds %d entries, not %d", n, len(records), width)
		}
		for i, record := range records {
			index := n*256 + int64(i)
			proof, err := tlog.ProveRecord(tree.N, index, reader)
			if err != nil {
				fail("prove entry %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(record)); err != nil {
				fail("entry %d: %v", index, err)
			}
			proven++
		}
	}
	consistent := ""
	if len(os.Args) == 4 {
		old, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		oldTree := openCheckpoint(old, verifier)
		if oldTree.N > tree.N {
			fail("the served checkpoint (%d) is older than the one held (%d): a rollback", tree.N, oldTree.N)
		}
		proof, err := tlog.ProveTree(tree.N, oldTree.N, reader)
		if err != nil {
			fail("prove consistency: %v", err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, oldTree.N, oldTree.Hash); err != nil {
			fail("consistency with the older checkpoint: %v", err)
		}
		consistent = fmt.Sprintf(", consistent with size %d", oldTree.N)
	}
	fmt.Printf("ok: %d entries proven from the tiles of a tree of size %d%s\n", proven, tree.N, consistent)
}
