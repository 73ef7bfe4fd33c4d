#include <linux/module.h>
#define INCLUDE_VERMAGIC
#include <linux/build-salt.h>
#include <linux/elfnote-lto.h>
#include <linux/export-internal.h>
#include <linux/vermagic.h>
#include <linux/compiler.h>

BUILD_SALT;
BUILD_LTO_INFO;

MODULE_INFO(vermagic, VERMAGIC_STRING);
MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
	.arch = MODULE_ARCH_INIT,
};

#ifdef CONFIG_RETPOLINE
MODULE_INFO(retpoline, "Y");
#endif


static const struct modversion_info ____versions[]
__used __section("__versions") = {
	{ 0x42e9d0da, "ring_buffer_unlock_commit" },
	{ 0x93255b2b, "ring_buffer_lock_reserve" },
	{ 0x112a62ad, "tracepoint_probe_unregister" },
	{ 0x3126a9e8, "siphash_1u64" },
	{ 0x91c14d8d, "param_ops_uint" },
	{ 0x7f02188f, "__msecs_to_jiffies" },
	{ 0x6ebe366f, "ktime_get_mono_fast_ns" },
	{ 0x656e4a6e, "snprintf" },
	{ 0x8b2918b1, "nla_reserve" },
	{ 0xc5b6f236, "queue_work_on" },
	{ 0x9b489671, "nla_put_64bit" },
	{ 0x21ea5251, "__bitmap_weight" },
	{ 0xffcbde5b, "genlmsg_put" },
	{ 0x69acdf38, "memcpy" },
	{ 0x37a0cba, "kfree" },
	{ 0xa1bce3f0, "synchronize_srcu" },
	{ 0xb19a5453, "__per_cpu_offset" },
	{ 0xcbd4898c, "fortify_panic" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0x92997ed8, "_printk" },
	{ 0xe6d2458e, "do_trace_netlink_extack" },
	{ 0xa19b956, "__stack_chk_fail" },
	{ 0xb2fcb56d, "queue_delayed_work_on" },
	{ 0xf0906b73, "netlink_broadcast" },
	{ 0xa916b694, "strnlen" },
	{ 0x1eb9ab54, "__alloc_skb" },
	{ 0x599fb41c, "kvmalloc_node" },
	{ 0xe25beddd, "init_net" },
	{ 0x6091797f, "synchronize_rcu" },
	{ 0x39823de, "init_uts_ns" },
	{ 0xca9a1d5e, "ring_buffer_free" },
	{ 0xc9119dac, "netlink_unicast" },
	{ 0xed89811, "kfree_skb_reason" },
	{ 0x4dfa8d4b, "mutex_lock" },
	{ 0x1468be11, "nla_put" },
	{ 0xf74bb274, "mod_delayed_work_on" },
	{ 0x53a1e8d9, "_find_next_bit" },
	{ 0x449ad0a7, "memcmp" },
	{ 0x68fb37ae, "current_task" },
	{ 0x9e683f75, "__cpu_possible_mask" },
	{ 0x30c6b1b0, "tracepoint_srcu" },
	{ 0x5b8239ca, "__x86_return_thunk" },
	{ 0x17de3d5, "nr_cpu_ids" },
	{ 0x6198dfea, "__ring_buffer_alloc" },
	{ 0xe4262c6, "__siphash_unaligned" },
	{ 0xe2d5255a, "strcmp" },
	{ 0xdd64e639, "strscpy" },
	{ 0x7a2af7b4, "cpu_number" },
	{ 0x4629334c, "__preempt_count" },
	{ 0x3213f038, "mutex_unlock" },
	{ 0x9fa7184a, "cancel_delayed_work_sync" },
	{ 0x9d09e8ae, "ring_buffer_event_data" },
	{ 0xdf54a8f7, "netlink_unregister_notifier" },
	{ 0x3c12dfe, "cancel_work_sync" },
	{ 0xffeedf6a, "delayed_work_timer_fn" },
	{ 0xfcca5424, "register_kprobe" },
	{ 0xc07351b3, "__SCT__cond_resched" },
	{ 0xd4c14632, "system_unbound_wq" },
	{ 0x41ed3709, "get_random_bytes" },
	{ 0x63026490, "unregister_kprobe" },
	{ 0x5e85415b, "ring_buffer_consume" },
	{ 0xfa599bb2, "netlink_register_notifier" },
	{ 0xab93a5c2, "genl_unregister_family" },
	{ 0x754d539c, "strlen" },
	{ 0x581e2394, "__nla_parse" },
	{ 0x7aa1756e, "kvfree" },
	{ 0x9ec07055, "genl_register_family" },
	{ 0x5da9dd8, "for_each_kernel_tracepoint" },
	{ 0x90b1a176, "drop_reasons" },
	{ 0xeb233a45, "__kmalloc" },
	{ 0x1fb591fa, "tracepoint_probe_register" },
	{ 0x2d3385d3, "system_wq" },
	{ 0x9060323f, "module_layout" },
};

MODULE_INFO(depends, "");


MODULE_INFO(srcversion, "6F04FF8DBBA83CD90867D69");
