/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Test sample: a few lines in the format of the generic KVM uapi header. */
#ifndef __LINUX_KVM_H
#define __LINUX_KVM_H

#define KVMIO 0xAE

#define KVM_MEM_LOG_DIRTY_PAGES	(1UL << 0)
#define KVM_MEM_READONLY	(1UL << 1)

/* for KVM_EXIT_EXAMPLE_SUBTYPE */
#define KVM_EXIT_EXAMPLE_SUBTYPE_A	1

#define KVM_EXIT_UNKNOWN          0
#define KVM_EXIT_MMIO             6
#define KVM_EXIT_ARM_NISV         28
#define KVM_EXIT_EXAMPLE_RING_FULL 31 /* example ring is full */

/* for KVM_EXIT_IO */
#define KVM_EXIT_IO_IN  0

#define KVM_GUESTDBG_ENABLE		0x00000001
#define KVM_GUESTDBG_SINGLESTEP		0x00000002

#define KVM_RUN                   _IO(KVMIO,   0x80)
#define KVM_EXAMPLE_RESET_RINGS   _IO(KVMIO,   0xc7)
#define KVM_SET_EXAMPLE_STATE     _IOW(KVMIO,  0xd0, \
					struct kvm_example_state)
#define KVM_EXAMPLE_SIZE(x)       ((x) << 4)
#define KVM_EXAMPLE_SHIFT         4

#define KVM_CAP_IRQCHIP	  0
#define KVM_CAP_HLT	  1
#define KVM_CAP_DISABLE_QUIRKS2 213
#define KVM_CAP_ARM_EXAMPLE_FEATURE 900
#define KVM_CAP_X86_EXAMPLE_EXIT 901
#define KVM_CAP_EXAMPLE_GENERIC 902
#define KVM_CAP_EXAMPLE_RING 903

#endif /* __LINUX_KVM_H */
