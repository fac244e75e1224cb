package publish

import (
	"bytes"
	"fmt"
	"path"

	"iostrat/internal/report/raw"
)

// The repository's README.md carries a copy of the page's overview
// between two marker comments, so the front page shows the last
// published run. Only the text between the markers is the report's:
//
//	<!-- summary:start (anything up to the end of the line) -->
//	… rewritten by every Publish …
//	<!-- summary:end -->
const (
	readmeStart = "<!-- summary:start"
	readmeEnd   = "<!-- summary:end -->"
)

// ReadmeBlock is the overview as the README shows it: the machine, the
// table and the chart, with links into the results directory at dir
// (relative to the README, "results").
func (p *Page) ReadmeBlock(dir string) []byte {
	var b bytes.Buffer
	prov := p.Raw.Provenance
	page := path.Join(dir, "README.md")
	fmt.Fprintf(&b, "Last published run: %s at commit `%s`, %s runs per benchmark ([the results page](%s)).", prov.Get(raw.KeyDate), prov.Get(raw.KeyCommit), prov.Get(raw.KeyCount), page)
	if prov.Quick() {
		b.WriteString(" **A quick run:** it shows that every benchmark runs, not how the strategies compare.")
	}
	fmt.Fprintf(&b, "\n\n%s\n\n", machineLine(prov))
	writeOverview(&b, p.Summary.Overview, func(id string) string { return page + "#" + anchor(groupTitle(p.Summary, id)) })
	if p.hasChart(SummaryChart) {
		fmt.Fprintf(&b, "![Dispatch cost against wake cost per strategy](%s)\n\n", path.Join(dir, SummaryChart))
	}
	return b.Bytes()
}

// ReplaceReadmeBlock returns readme with the text between its summary
// markers replaced by block; the marker lines and everything outside
// them are kept byte for byte. ok is false, and readme is returned as
// it was, when the markers are missing or out of order.
func ReplaceReadmeBlock(readme, block []byte) (out []byte, ok bool) {
	start := bytes.Index(readme, []byte(readmeStart))
	if start < 0 {
		return readme, false
	}
	lineEnd := bytes.IndexByte(readme[start:], '\n')
	if lineEnd < 0 {
		return readme, false
	}
	bodyStart := start + lineEnd + 1
	end := bytes.Index(readme[bodyStart:], []byte(readmeEnd))
	if end < 0 {
		return readme, false
	}
	end += bodyStart
	if bytes.LastIndexByte(readme[:end], '\n') != end-1 {
		return readme, false // the end marker must start its line
	}
	out = make([]byte, 0, len(readme)+len(block))
	out = append(out, readme[:bodyStart]...)
	out = append(out, block...)
	if len(block) > 0 && block[len(block)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, readme[end:]...), true
}
