/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Test sample: a few lines in the format of the generic KVM uapi header. */
#ifndef __LINUX_KVM_H
#define __LINUX_KVM_H

#define KVM_CAP_IRQCHIP	  0
#define KVM_CAP_HLT	  1
#define KVM_CAP_DISABLE_QUIRKS2 213
#define KVM_CAP_ARM_EXAMPLE_FEATURE 900
#define KVM_CAP_X86_EXAMPLE_EXIT 901
#define KVM_CAP_EXAMPLE_GENERIC 902

#endif /* __LINUX_KVM_H */
