/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Test sample: a few lines in the format of the arm64 KVM uapi header. */
#ifndef __ARM_KVM_H__
#define __ARM_KVM_H__

#define KVM_DIRTY_LOG_PAGE_OFFSET 64

#define KVM_ARM_VCPU_POWER_OFF		0 /* CPU is started in OFF state */
#define KVM_ARM_VCPU_EXAMPLE		9 /* an example vcpu feature */

#define KVM_REG_ARM_FW			(0x0014 << KVM_REG_ARM_COPROC_SHIFT)
#define KVM_REG_ARM_EXAMPLE_FW_REG	KVM_REG_ARM_FW_REG(7)

/* Device Control API on vcpu fd */
#define KVM_ARM_VCPU_EXAMPLE_CTRL	4
#define   KVM_ARM_VCPU_EXAMPLE_IPA	0
#define   KVM_ARM_VCPU_EXAMPLE_FREQ	1

#endif /* __ARM_KVM_H__ */
