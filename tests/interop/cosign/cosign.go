// cosign.go — a test helper for tests/interop/run.sh: adds one signature line, by a fresh
// Ed25519 key made with golang.org/x/mod/sumdb/note, to a signed note, as a witness
// cosigning a checkpoint would (c2sp.org/tlog-cosignature uses its own signature type; for
// closebook's verifiers any well-formed line by an unknown key is the same case).
//
// Build (offline, GOPATH mode, as run.sh does):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o interop-cosign cosign.go
//
// Usage: interop-cosign NAME NOTEFILE VKEYOUT
//
// writes the new key's verifier key to VKEYOUT and the note with the extra line to stdout.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: interop-cosign NAME NOTEFILE VKEYOUT")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, os.Args[1])
	if err != nil {
		fail("generate key: %v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("signer: %v", err)
	}
	msg, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		fail("%s is not a signed note", os.Args[2])
	}
	sig, err := signer.Sign(msg[:split+1])
	if err != nil {
		fail("sign: %v", err)
	}
	var hash [4]byte
	binary.BigEndian.PutUint32(hash[:], signer.KeyHash())
	line := fmt.Sprintf("\u2014 %s %s\n", signer.Name(), base64.StdEncoding.EncodeToString(append(hash[:], sig...)))
	if err := os.WriteFile(os.Args[3], []byte(vkey+"\n"), 0o644); err != nil {
		fail("%v", err)
	}
	os.Stdout.Write(msg)
	os.Stdout.WriteString(line)
}
