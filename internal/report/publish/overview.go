package publish

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
)

// The overview: the page's opening table (summary.Overview) and the
// machine line above it. The same block goes into the repository's
// README.md (readme.go), so it renders with links relative to the page
// or to the README.

// wideRatio is the half-width of a confidence interval, as a share of the
// median, above which a figure is marked as too noisy to read closely.
const wideRatio = 0.5

// wideMark marks such a figure; wideNote explains the mark under a table.
const (
	wideMark = "†"
	wideNote = "† the 95% interval is wider than ±50% of the median (or could not be computed): a rough figure, too noisy to read closely."
)

// wide reports whether a summary's interval is wider than ±wideRatio of
// its median, or unknown.
func wide(s benchmath.Summary) bool {
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi) {
		return true
	}
	if s.Center == 0 {
		return s.Lo != 0 || s.Hi != 0
	}
	if (s.Lo < 0) != (s.Center < 0) || (s.Hi < 0) != (s.Center < 0) {
		return true
	}
	return math.Max(s.Hi/s.Center-1, 1-s.Lo/s.Center) > wideRatio
}

// formatCell is a cell as the tables show it: median ± CI, in bold when
// it leads, marked when its interval is wide.
func formatCell(c summary.Cell, unit string, leads bool) string {
	s := formatSummary(c, unit)
	if wide(c.Summary) {
		s += " " + wideMark
	}
	if leads {
		s = "**" + s + "**"
	}
	return s
}

// machineLine says in one line what the run measured on, from its
// provenance: the host name when recorded, CPUs, virtual or not, the
// processor and kernel, and where the socket benchmarks' server and
// client ran: both here over loopback, or the server on an agent's
// machine (remoteSentence).
func machineLine(prov raw.Provenance) string {
	n, virt := prov.Get(raw.KeyVCPUs), prov.Get(raw.KeyVirt)
	var what string
	switch {
	case strings.HasPrefix(virt, "vm"):
		what = fmt.Sprintf("a virtual machine%s with %s vCPUs", strings.TrimPrefix(virt, "vm"), orUnknown(n))
	case virt != "":
		what = fmt.Sprintf("%s CPUs, no virtual machine seen%s", orUnknown(n), strings.TrimPrefix(virt, "none seen"))
	case n != "":
		what = n + " CPUs (whether a virtual machine was not recorded)"
	default:
		what = "CPU count and virtualization not recorded in this raw file"
	}
	if host := prov.Get(raw.KeyHostname); host != "" {
		what = fmt.Sprintf("`%s`, %s", host, what)
	}
	sockets := "Socket benchmarks run over loopback (127.0.0.1), the client in a process of its own on a CPU the server's budget leaves free."
	if prov.Remote() != "" {
		sockets = remoteSentence(prov)
	}
	return fmt.Sprintf("**Machine:** %s; %s, Linux %s, %s. %s",
		what, orUnknown(prov.Get(raw.KeyCPU)), orUnknown(prov.Get(raw.KeyKernel)), orUnknown(prov.Get(raw.KeyGo)), sockets)
}

// remoteSentence says where a remote run's socket benchmarks ran, from
// its remote config lines.
func remoteSentence(prov raw.Provenance) string {
	return fmt.Sprintf("**Remote server:** the socket benchmarks (%s) ran their server on `%s` (%s, Linux %s, %s CPUs, %s, commit `%s`), in the iostrat agent at %s, %s round trip away (%s); their client ran on this machine, in a process of its own on a CPU the budget leaves free. The other benchmarks ran on this machine alone.",
		strings.Join(prov.RemoteBenchmarks(), ", "), orUnknown(prov.Get(raw.KeyRemoteHostname)), orUnknown(prov.Get(raw.KeyRemoteCPU)),
		orUnknown(prov.Get(raw.KeyRemoteKernel)), orUnknown(prov.Get(raw.KeyRemoteVCPUs)), orUnknown(prov.Get(raw.KeyRemoteGo)),
		orUnknown(prov.Get(raw.KeyRemoteCommit)), prov.Remote(), orUnknown(prov.Get(raw.KeyRemoteRTT)), raw.RTTMethod)
}

// remoteCaption is the line under a group's question when its
// benchmarks' server ran on an agent's machine, or "".
func remoteCaption(prov raw.Provenance, g summary.Group) string {
	remote := prov.RemoteBenchmarks()
	if prov.Remote() == "" || !slices.ContainsFunc(g.Benchmarks, func(b string) bool { return slices.Contains(remote, b) }) {
		return ""
	}
	return fmt.Sprintf("Remote server: these benchmarks' server ran on `%s`, in the agent at %s, %s round trip away; their client ran on this machine. Times and rates include the path; CPU time per unit and the counters are the server's process's, as the agent read them.",
		orUnknown(prov.Get(raw.KeyRemoteHostname)), prov.Remote(), orUnknown(prov.Get(raw.KeyRemoteRTT)))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writeOverview writes the opening table. link turns a group ID into the
// link target of its section ("#dispatch" on the page).
func writeOverview(b *bytes.Buffer, o *summary.Overview, link func(groupID string) string) {
	if o == nil || len(o.Rows) == 0 {
		b.WriteString("No benchmark of the overview has data in this run.\n\n")
		return
	}
	b.WriteString("| measure | unit |")
	for _, s := range o.Strategies {
		fmt.Fprintf(b, " %s |", headerLabel(s))
	}
	b.WriteString(" leading group |\n| :-- | :-- |" + strings.Repeat(" --: |", len(o.Strategies)) + " :-- |\n")
	anyWide := false
	for _, r := range o.Rows {
		fmt.Fprintf(b, "| [%s](%s) | %s |", r.Label, link(r.Group.Group.ID), r.Row.Headline)
		for _, s := range o.Strategies {
			c, i := r.Cell(s)
			if i < 0 || !c.OK() {
				b.WriteString(" n/a |")
				continue
			}
			anyWide = anyWide || wide(c.Summary)
			fmt.Fprintf(b, " %s |", formatCell(c, r.Row.Headline, r.Row.Verdict.Leads(i)))
		}
		fmt.Fprintf(b, " %s |\n", r.Row.Verdict.Text(r.Group.Strategies))
	}
	b.WriteString("\n")
	writeOverviewNotes(b, o, anyWide)
}

// writeOverviewNotes says which row stands for each measure and how to
// read the bold figures and marks.
func writeOverviewNotes(b *bytes.Buffer, o *summary.Overview, anyWide bool) {
	var rows []string
	for _, r := range o.Rows {
		rows = append(rows, fmt.Sprintf("%s `%s` at cpus=%d", r.Label, escape(r.Row.Name), r.Row.CPUs))
	}
	fmt.Fprintf(b, "Median ± 95%% CI of the runs; lower is better everywhere. **Bold**: the leading group, the strategies no test separates from the best (U test, Holm-Bonferroni over the page, beyond the run's drift); the last column names it and its margin over the best strategy outside it (`~`: no strategy separated). Rows: %s.", strings.Join(rows, "; "))
	if anyWide {
		b.WriteString(" " + wideNote)
	}
	b.WriteString("\n\n")
}
