package agent

import (
	"bytes"
	"fmt"
	"os"
	"unicode/utf8"
)

// ReadToken reads the shared token from path: the file's contents with
// surrounding white space trimmed. An empty token, or one that is not
// UTF-8 text (it travels in JSON strings), is an error.
func ReadToken(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("agent: reading the token: %w", err)
	}
	token := bytes.TrimSpace(data)
	switch {
	case len(token) == 0:
		return nil, fmt.Errorf("agent: the token file %s is empty", path)
	case !utf8.Valid(token):
		return nil, fmt.Errorf("agent: the token file %s is not UTF-8 text", path)
	}
	return token, nil
}

// minTokenLen is the length below which a token is easy to guess.
const minTokenLen = 16

// TokenWarnings lists what is weak about a token read from path, none of
// it fatal: a file that group or others may access, a short token.
func TokenWarnings(path string, token []byte) []string {
	var warnings []string
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf("the token file %s is open to group or others (mode %04o); chmod 600 it", path, fi.Mode().Perm()))
	}
	if len(token) < minTokenLen {
		warnings = append(warnings, fmt.Sprintf("the token is %d bytes long; a long random one (openssl rand -hex 32) is harder to guess", len(token)))
	}
	return warnings
}
