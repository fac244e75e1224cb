package futures

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// TestSizes prints the size of the package's types in Go next to their
// Rust counterparts on a 64-bit target, and asserts the Go sizes. The Rust
// column is Rust's layout (std::mem::size_of of Waker, RawWaker,
// RawWakerVTable, Option<Waker>, &dyn and Context on a 64-bit target),
// written in, not measured by this test.
//
// What differs:
//   - A Go interface value is (itab, data): the method table first, then
//     the pointer. A Rust trait object &dyn Trait is (data, vtable). Same
//     two words, other order; RawWaker is written in Rust's order.
//   - A Go func value is one word, a pointer to a closure object whose
//     first word is the code pointer: calling it loads twice. A Rust fn
//     pointer is the code pointer itself; a Rust closure behind &dyn Fn is
//     a fat pointer of two words. So a RawWakerVTable of four Go func
//     values is 32 bytes, as in Rust, but each call goes through one more
//     load.
//   - A Go slice carries a capacity word: 24 bytes to Rust's 16 for &[T]
//     (Rust's Vec<T>, which owns and can grow, is 24). A Go string is
//     (pointer, length), 16 bytes, as Rust's &str.
//   - Rust has no null Waker, so Option<Waker> uses the non-null pointer as
//     its tag and stays 16 bytes; the Go Waker's zero value plays None at
//     the same size.
//   - Context is two pointers here (the waker and the executor, which Go
//     must carry since it has no thread-locals); Rust's has a waker, a
//     local waker and extension data.
func TestSizes(t *testing.T) {
	type iface interface{ m() }
	var (
		p       *int
		pp      **int
		i       iface
		fn      func()
		slice   []byte
		str     string
		ints    [10]int32
		ifaces  [10]iface
		waker   Waker
		raw     RawWaker
		vtable  RawWakerVTable
		context Context
		join    JoinHandle[struct{}]
	)
	rows := []struct {
		goType   string
		goSize   uintptr
		want     uintptr
		rustType string
		rustSize int
	}{
		{"*T", unsafe.Sizeof(p), 8, "&T, *const T", 8},
		{"**T", unsafe.Sizeof(pp), 8, "&&T", 8},
		{"interface (itab, data)", unsafe.Sizeof(i), 16, "&dyn Trait (data, vtable)", 16},
		{"func() (top-level)", unsafe.Sizeof(fn), 8, "fn()", 8},
		{"func() (closure)", unsafe.Sizeof(fn), 8, "&dyn Fn(), Box<dyn Fn()>", 16},
		{"[]byte (ptr, len, cap)", unsafe.Sizeof(slice), 24, "&[u8] (ptr, len)", 16},
		{"string (ptr, len)", unsafe.Sizeof(str), 16, "&str (ptr, len)", 16},
		{"[10]int32", unsafe.Sizeof(ints), 40, "[i32; 10]", 40},
		{"[10]Iface", unsafe.Sizeof(ifaces), 160, "[&dyn Trait; 10]", 160},
		{"Waker", unsafe.Sizeof(waker), 16, "Waker", 16},
		{"RawWaker", unsafe.Sizeof(raw), 16, "RawWaker", 16},
		{"RawWakerVTable", unsafe.Sizeof(vtable), 32, "RawWakerVTable", 32},
		{"Context", unsafe.Sizeof(context), 16, "Context<'_>", 32},
		{"JoinHandle[T]", unsafe.Sizeof(join), 8, "tokio JoinHandle<T>", 8},
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the table is for 64-bit machines")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-24s %4s   %-26s %4s\n", "Go", "size", "Rust", "size")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-24s %4d   %-26s %4d\n", r.goType, r.goSize, r.rustType, r.rustSize)
		if r.goSize != r.want {
			t.Errorf("unsafe.Sizeof(%s) = %d, want %d", r.goType, r.goSize, r.want)
		}
	}
	t.Log(b.String())
}
