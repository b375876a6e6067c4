/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the supported kernels (Debian's
 * 6.1 and 6.12) are bridged. Code elsewhere calls these helpers. The
 * ZTBOND_HAVE_* macros come from Kbuild, which probes the kernel headers
 * for the feature itself rather than trusting a version number (distro
 * kernels backport).
 */
#ifndef _ZTBOND_COMPAT_H
#define _ZTBOND_COMPAT_H

#include <linux/netdevice.h>
/* 6.12 moved the unaligned accessors from asm/ to linux/ */
#ifdef ZTBOND_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.12 turned the LLTX and NETNS_LOCAL feature bits into fields of struct
 * net_device (lltx, netns_immutable).
 */
static inline void ztbond_compat_set_lltx_netns_local(struct net_device *dev)
{
#ifdef ZTBOND_HAVE_NETDEV_LLTX
	dev->lltx = true;
	dev->netns_immutable = true;
#else
	dev->features |= NETIF_F_LLTX | NETIF_F_NETNS_LOCAL;
#endif
}

/*
 * Keep IPv6 addrconf off a link. Since 6.3 addrconf looks at the
 * IFF_NO_ADDRCONF private flag; before, at IFF_SLAVE, which
 * ztbond_link_add() sets anyway.
 */
static inline bool ztbond_compat_no_addrconf(const struct net_device *dev)
{
#ifdef ZTBOND_HAVE_IFF_NO_ADDRCONF
	return dev->priv_flags & IFF_NO_ADDRCONF;
#else
	return false;
#endif
}

static inline void ztbond_compat_set_no_addrconf(struct net_device *dev,
						 bool on)
{
#ifdef ZTBOND_HAVE_IFF_NO_ADDRCONF
	if (on)
		dev->priv_flags |= IFF_NO_ADDRCONF;
	else
		dev->priv_flags &= ~IFF_NO_ADDRCONF;
#endif
}

#endif /* _ZTBOND_COMPAT_H */
