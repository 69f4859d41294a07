package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/midobake/midobake/internal/version"
)

var (
	packerOnce sync.Once
	packerPath string
	pluginDir  string
	packerErr  error
)

// packerEnv builds Packer 1.9.4 from tools/packer (cached in build/_cache, shared with
// test/e2e) and installs the midobake plugin where required_plugins finds it.
func packerEnv(t *testing.T) (string, string) {
	t.Helper()
	packerOnce.Do(func() {
		packerPath = filepath.Join(repoRoot, "build", "_cache", "packer-v1.9.4")
		if _, err := os.Stat(packerPath); err != nil {
			cmd := exec.Command("go", "build", "-o", packerPath+".tmp", "github.com/hashicorp/packer")
			cmd.Dir = filepath.Join(repoRoot, "tools", "packer")
			if out, err := cmd.CombinedOutput(); err != nil {
				packerErr = fmt.Errorf("building packer: %v\n%s", err, out)
				return
			}
			if packerErr = os.Rename(packerPath+".tmp", packerPath); packerErr != nil {
				return
			}
		}
		pluginDir = filepath.Join(binDir, "plugins")
		dir := filepath.Join(pluginDir, "github.com", "midobake", "midobake")
		os.MkdirAll(dir, 0o755)
		name := filepath.Join(dir, fmt.Sprintf("packer-plugin-midobake_v%s_x5.0_linux_amd64", version.Version))
		cmd := exec.Command("go", "build", "-o", name, "./cmd/packer-plugin-midobake")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			packerErr = fmt.Errorf("building the plugin: %v\n%s", err, out)
			return
		}
		b, _ := os.ReadFile(name)
		sum := sha256.Sum256(b)
		packerErr = os.WriteFile(name+"_SHA256SUM", []byte(hex.EncodeToString(sum[:])), 0o644)
	})
	if packerErr != nil {
		t.Fatal(packerErr)
	}
	return packerPath, pluginDir
}

// labSource is the source block a user with a KVM runner would write beside the rendered
// templates (the lab's accelerator is KVM where it really works, else TCG) (render --packer-source qemu.lab): Packer's qemu builder boots the base image,
// the midobake provisioner bakes it over SSH, and the result is a qcow2 on top of the base.
const labSource = `# The lab's Packer source: the base image booted by Packer's qemu builder (TCG here).
variable "lab_base" { type = string }
variable "lab_kernel" { type = string }
variable "lab_initrd" { type = string }
variable "lab_output" { type = string }
variable "lab_accel" { type = string }

source "qemu" "lab" {
  disk_image       = true
  iso_url          = var.lab_base
  iso_checksum     = "none"
  use_backing_file = true
  format           = "qcow2"
  disk_interface   = "virtio"
  net_device       = "virtio-net"
  accelerator      = var.lab_accel
  headless         = true
  memory           = 1024
  output_directory = var.lab_output
  vm_name          = "image.qcow2"
  qemuargs = [
    ["-kernel", var.lab_kernel],
    ["-initrd", var.lab_initrd],
    ["-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet lab.ip=10.0.2.15/24 lab.gw=10.0.2.2"],
  ]
  communicator     = "ssh"
  ssh_username     = "root"
  ssh_password     = "lab"
  ssh_timeout      = "20m"
  shutdown_command = "systemctl poweroff"
  shutdown_timeout = "5m"
}
`
