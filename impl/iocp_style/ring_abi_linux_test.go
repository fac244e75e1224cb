package iocpstyle

import (
	"testing"
	"unsafe"
)

// TestABILayout checks the ring structures against the kernel's sizes and
// a few offsets (include/uapi/linux/io_uring.h).
func TestABILayout(t *testing.T) {
	sizes := []struct {
		name      string
		got, want uintptr
	}{
		{"io_uring_params", unsafe.Sizeof(ringParams{}), 120},
		{"io_sqring_offsets", unsafe.Sizeof(sqringOffsets{}), 40},
		{"io_cqring_offsets", unsafe.Sizeof(cqringOffsets{}), 40},
		{"io_uring_sqe", unsafe.Sizeof(sqe{}), 64},
		{"io_uring_cqe", unsafe.Sizeof(cqe{}), 16},
		{"io_uring_probe_op", unsafe.Sizeof(probeOp{}), 8},
		{"io_uring_probe header", unsafe.Offsetof(probe{}.ops), 16},
		{"io_uring_buf", unsafe.Sizeof(bufEntry{}), 16},
		{"io_uring_buf_reg", unsafe.Sizeof(bufReg{}), 40},
		{"io_uring_rsrc_update", unsafe.Sizeof(rsrcUpdate{}), 16},
		{"__kernel_timespec", unsafe.Sizeof(kernelTimespec{}), 16},
		{"sqe.off", unsafe.Offsetof(sqe{}.off), 8},
		{"sqe.addr", unsafe.Offsetof(sqe{}.addr), 16},
		{"sqe.len", unsafe.Offsetof(sqe{}.len), 24},
		{"sqe.opFlags", unsafe.Offsetof(sqe{}.opFlags), 28},
		{"sqe.userData", unsafe.Offsetof(sqe{}.userData), 32},
		{"sqe.bufIndex", unsafe.Offsetof(sqe{}.bufIndex), 40},
		{"params.sqOff", unsafe.Offsetof(ringParams{}.sqOff), 40},
		{"buf.bid", unsafe.Offsetof(bufEntry{}.bid), 12},
	}
	for _, s := range sizes {
		if s.got != s.want {
			t.Errorf("%s: %d, kernel has %d", s.name, s.got, s.want)
		}
	}
}
