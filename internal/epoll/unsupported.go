//go:build !linux

package epoll

// This package is Linux-only: the strategies that need epoll are built for
// Linux, and their own unsupported.go files report errors.ErrUnsupported
// elsewhere.
