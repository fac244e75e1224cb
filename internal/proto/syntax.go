package proto

import "bytes"

// Character classes and small parsers of HTTP/1.1 syntax (RFC 9110 §5.6,
// RFC 9112), shared by the server's request parser and the client's
// response reader. None of them allocates.

// tokenChars marks the tchar bytes of RFC 9110 §5.6.2: the bytes allowed in
// methods and header names.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isToken reports whether b is a non-empty token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// isFieldValue reports whether b may be a header field value (RFC 9110
// §5.5): visible ASCII, space, tab and obs-text (bytes ≥ 0x80), so no
// control byte, DEL or stray CR.
func isFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// trimOWS removes optional whitespace (spaces and tabs) from both ends of b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFoldLower reports whether b equals lower, which must be lower-case
// ASCII, ignoring ASCII case in b. Header names and Connection options are
// case-insensitive.
func equalFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseLength parses a Content-Length value: one or more decimal digits,
// nothing else. Values above limit are reported as limit+1, so no value can
// overflow.
func parseLength(b []byte, limit int64) (n int64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= limit {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, limit+1), true
}

// hasOption reports whether a comma-separated list of tokens, as in a
// Connection header, holds option (lower-case), ignoring case and optional
// whitespace around elements.
func hasOption(list []byte, option string) bool {
	for {
		i := bytes.IndexByte(list, ',')
		if i < 0 {
			return equalFoldLower(trimOWS(list), option)
		}
		if equalFoldLower(trimOWS(list[:i]), option) {
			return true
		}
		list = list[i+1:]
	}
}
