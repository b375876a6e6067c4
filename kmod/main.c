// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: aggregate ZeroTier taps (or any Ethernet devices) into one
 * netdevice with ZeroTier's multipath bonding policies.
 */
#include <linux/module.h>
#include <net/rtnetlink.h>
#include <net/genetlink.h>

#include "ztbond_priv.h"

static int __init ztbond_module_init(void)
{
	int err;

	err = ztbond_notifier_register();
	if (err)
		goto err_notifier;
	err = rtnl_link_register(&ztbond_link_ops);
	if (err)
		goto err_rtnl_link;
	err = ztbond_genl_register();
	if (err)
		goto err_genl;
	pr_info("ztbond: loaded\n");
	return 0;

err_genl:
	rtnl_link_unregister(&ztbond_link_ops);
err_rtnl_link:
	ztbond_notifier_unregister();
err_notifier:
	return err;
}

static void __exit ztbond_module_exit(void)
{
	ztbond_genl_unregister();
	/* deletes every ztbond device in every namespace */
	rtnl_link_unregister(&ztbond_link_ops);
	ztbond_notifier_unregister();
	/* links and snapshots are freed by RCU callbacks */
	rcu_barrier();
}

module_init(ztbond_module_init);
module_exit(ztbond_module_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("ztbond developers");
MODULE_DESCRIPTION("Multipath bonding of ZeroTier taps with ZeroTier's bonding policies");
MODULE_ALIAS_RTNL_LINK(ZTBOND_KIND);
MODULE_ALIAS_GENL_FAMILY(ZTBOND_GENL_NAME);
