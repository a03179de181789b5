package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procKB returns the value of a "Key:   1234 kB" line of /proc/<pid>/status or
// /proc/meminfo, in kB.
func procKB(data []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// rssSampler polls /proc while a Terraform command runs. Every process whose executable
// is exe (the provider binary Terraform starts through dev_overrides; Terraform may start
// it more than once per command) has its VmHWM, the kernel's high-water mark of its
// resident set, read every interval; the peak is the largest value seen. VmHWM only
// grows, so a sample can miss only growth in a process's last interval before it exits.
type rssSampler struct {
	exe      string
	tfPID    int
	interval time.Duration

	mu       sync.Mutex
	peaks    map[int]int64 // provider pid -> highest VmHWM seen, kB
	tfPeakKB int64
	stop     chan struct{}
	done     chan struct{}
}

func startRSSSampler(exe string, tfPID int, interval time.Duration) *rssSampler {
	s := &rssSampler{exe: exe, tfPID: tfPID, interval: interval, peaks: map[int]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *rssSampler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *rssSampler) sample() {
	var tfKB int64
	if data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.tfPID), "status")); err == nil {
		tfKB, _ = procKB(data, "VmHWM")
	}
	found := map[int]int64{}
	if s.exe != "" {
		dirs, _ := os.ReadDir("/proc")
		for _, d := range dirs {
			pid, err := strconv.Atoi(d.Name())
			if err != nil || pid == s.tfPID {
				continue
			}
			if exe, err := os.Readlink(filepath.Join("/proc", d.Name(), "exe")); err != nil || exe != s.exe {
				continue
			}
			data, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
			if err != nil {
				continue
			}
			if kb, ok := procKB(data, "VmHWM"); ok {
				found[pid] = kb
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tfPeakKB = max(s.tfPeakKB, tfKB)
	for pid, kb := range found {
		s.peaks[pid] = max(s.peaks[pid], kb)
	}
}

// finish stops polling and returns the largest provider VmHWM (kB), how many provider
// processes were seen, and Terraform's own VmHWM (kB).
func (s *rssSampler) finish() (providerKB int64, processes int, terraformKB int64) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kb := range s.peaks {
		providerKB = max(providerKB, kb)
	}
	return providerKB, len(s.peaks), s.tfPeakKB
}
