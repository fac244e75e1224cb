package publish

import (
	"strings"
	"testing"

	"iostrat/internal/report/raw"
)

func TestReplaceReadmeBlock(t *testing.T) {
	readme := "intro\n<!-- summary:start (edits here are overwritten) -->\nold\nlines\n<!-- summary:end -->\noutro\n"
	got, ok := ReplaceReadmeBlock([]byte(readme), []byte("new"))
	want := "intro\n<!-- summary:start (edits here are overwritten) -->\nnew\n<!-- summary:end -->\noutro\n"
	if !ok || string(got) != want {
		t.Errorf("replaced = %q, %v; want %q", got, ok, want)
	}
	again, _ := ReplaceReadmeBlock(got, []byte("new\n"))
	if string(again) != want {
		t.Errorf("replacing twice = %q, want %q", again, want)
	}
	for _, bad := range []string{
		"no markers\n",
		"<!-- summary:start -->\nno end\n",
		"<!-- summary:end -->\n<!-- summary:start -->\nout of order\n",
		"<!-- summary:start -->\ntext <!-- summary:end -->\n", // the end marker must start a line
	} {
		if out, ok := ReplaceReadmeBlock([]byte(bad), []byte("new")); ok || string(out) != bad {
			t.Errorf("ReplaceReadmeBlock(%q) = %q, %v; want it unchanged and not ok", bad, out, ok)
		}
	}
}

func TestMachineLine(t *testing.T) {
	var p raw.Provenance
	p.Set(raw.KeyCPU, "AMD EPYC")
	if got := machineLine(p); !strings.Contains(got, "CPU count and virtualization not recorded") || !strings.Contains(got, "loopback") {
		t.Errorf("machine line of an old file = %q", got)
	}
	p.Set(raw.KeyVCPUs, "2")
	p.Set(raw.KeyVirt, "vm (the hypervisor CPU flag is set)")
	if got := machineLine(p); !strings.HasPrefix(got, "**Machine:** a virtual machine (the hypervisor CPU flag is set) with 2 vCPUs; AMD EPYC") {
		t.Errorf("machine line of a VM = %q", got)
	}
	p.Set(raw.KeyVirt, "none seen (no hypervisor CPU flag)")
	if got := machineLine(p); !strings.HasPrefix(got, "**Machine:** 2 CPUs, no virtual machine seen (no hypervisor CPU flag); ") {
		t.Errorf("machine line of bare metal = %q", got)
	}
}

func TestWideInterval(t *testing.T) {
	c := strategiesPage(t).Summary.Groups[0].Rows[0].Metrics[0].Cells[0]
	if wide(c.Summary) {
		t.Errorf("±4%% marked wide")
	}
	c.Summary.Hi = c.Summary.Center * 1.6
	if !wide(c.Summary) || !strings.Contains(formatCell(c, "sec/task", true), wideMark+"**") {
		t.Errorf("a +60%% interval is not marked: %q", formatCell(c, "sec/task", true))
	}
}
