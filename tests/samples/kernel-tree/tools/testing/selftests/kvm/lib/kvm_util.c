// SPDX-License-Identifier: GPL-2.0-only
/* Written for the tests. An unterminated function must not hide the rest. */
#include "kvm_util.h"

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret = __vcpu_ioctl(vcpu, KVM_RUN, NULL);

	TEST_ASSERT(!ret, KVM_IOCTL_ERROR(KVM_RUN, ret));
}

void broken_wrapper(struct kvm_vm *vm)
{
	vm_ioctl(vm, KVM_RUN, NULL);
