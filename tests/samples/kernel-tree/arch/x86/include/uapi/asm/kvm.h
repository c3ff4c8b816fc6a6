/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Test sample: a few lines in the format of the x86 KVM uapi header. */
#ifndef _ASM_X86_KVM_H
#define _ASM_X86_KVM_H

#define KVM_X86_QUIRK_LINT0_REENABLED		(1 << 0)
#define KVM_X86_QUIRK_CD_NW_CLEARED		(1 << 1)
#define KVM_X86_QUIRK_EPT_IGNORE_GUEST_PAT	(1 << 9)
#define KVM_X86_QUIRK_EXAMPLE_TIMER_RESET	(1 << 12)

#define KVM_STATE_NESTED_FORMAT_VMX	0

#endif /* _ASM_X86_KVM_H */
