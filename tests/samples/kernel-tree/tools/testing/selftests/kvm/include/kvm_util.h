/* SPDX-License-Identifier: GPL-2.0-only */
/* Written for the tests: the shape of the KVM selftests' library, not its text. */
#ifndef SELFTEST_KVM_UTIL_H
#define SELFTEST_KVM_UTIL_H

static inline int __vcpu_example_state_set(struct kvm_vcpu *vcpu, struct kvm_example_state *state)
{
	return __vcpu_ioctl(vcpu, KVM_SET_EXAMPLE_STATE, state);
}

static inline void vcpu_example_state_set(struct kvm_vcpu *vcpu,
					  struct kvm_example_state *state)
{
	int ret = __vcpu_example_state_set(vcpu, state);

	TEST_ASSERT(!ret, "example state");
}

static inline void vm_reset_example_rings(struct kvm_vm *vm)
{
	vm_ioctl(vm, KVM_EXAMPLE_RESET_RINGS, NULL);
}

/* Runs the vCPU and resets the rings: two ioctls, no wrapper of either. */
static inline void vcpu_run_and_reset(struct kvm_vcpu *vcpu)
{
	vcpu_ioctl(vcpu, KVM_RUN, NULL);
	vm_ioctl(vcpu->vm, KVM_EXAMPLE_RESET_RINGS, NULL);
}

/* Issues one ioctl but is not named after it. */
static inline void get_ucall_example(struct kvm_vcpu *vcpu)
{
	vcpu_ioctl(vcpu, KVM_RUN, NULL);
}

#endif
