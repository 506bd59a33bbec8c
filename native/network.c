/* The container's network interfaces, configured by the child in its new network namespace: kapald
 * created each veth with its peer already inside (named, with its MAC); here the peer gets its
 * IPv4 address and comes up, and the default route goes via `gateway`. Plain ioctls: no netlink
 * library and no host binary in the container's namespace. */
#include "shim.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>

static int set_addr(struct sockaddr *sa, const char *ip) {
  struct sockaddr_in *in = (struct sockaddr_in *)sa;
  in->sin_family = AF_INET;
  return inet_pton(AF_INET, ip, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

/* One `netif NAME ADDR PREFIX` record: address, netmask, up. */
static int configure_interface(int fd, const char *name, const char *ip, const char *prefix) {
  struct ifreq ifr = {0};
  long long bits;
  if (strlen(name) >= IFNAMSIZ) return fail_msg("netif: interface name `%s` too long", name);
  if (parse_num(prefix, 10, 0, 32, &bits) < 0) return fail_msg("netif: bad prefix length `%s`", prefix);
  strcpy(ifr.ifr_name, name);
  if (set_addr(&ifr.ifr_addr, ip) < 0) return fail_msg("netif: bad address `%s`", ip);
  if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) return fail(errno, "ioctl `SIOCSIFADDR` `%s`", name);
  struct sockaddr_in *mask = (struct sockaddr_in *)&ifr.ifr_netmask;
  mask->sin_family = AF_INET;
  mask->sin_addr.s_addr = htonl(bits ? ~0u << (32 - bits) : 0);
  if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0) return fail(errno, "ioctl `SIOCSIFNETMASK` `%s`", name);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) return fail(errno, "ioctl `SIOCGIFFLAGS` `%s`", name);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? fail(errno, "ioctl `SIOCSIFFLAGS` `%s`", name) : 0;
}

static int add_default_route(int fd, const char *gateway) {
  struct rtentry rt = {0};
  set_addr(&rt.rt_dst, "0.0.0.0");
  set_addr(&rt.rt_genmask, "0.0.0.0");
  if (set_addr(&rt.rt_gateway, gateway) < 0) return fail_msg("gateway: bad address `%s`", gateway);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  return ioctl(fd, SIOCADDRT, &rt) < 0 ? fail(errno, "ioctl `SIOCADDRT` default via `%s`", gateway) : 0;
}

int configure_network(struct shim *sh) {
  const struct list *nif = &sh->spec.netif;
  if (!nif->n && !sh->spec.gateway.n) return 0;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno, "socket `AF_INET`");
  int r = 0;
  for (size_t i = 0; r == 0 && i + 2 < nif->n; i += 3) r = configure_interface(fd, nif->v[i], nif->v[i + 1], nif->v[i + 2]);
  if (r == 0 && sh->spec.gateway.n) r = add_default_route(fd, spec_str(&sh->spec.gateway));
  close(fd);
  return r;
}
