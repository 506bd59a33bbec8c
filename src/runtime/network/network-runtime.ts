// Everything kapald keeps on the machine for its networks, in one place: bridges and veths
// (links.ts), the nftables table (replaced whole; applies queue up and coalesce), one embedded
// DNS server per user-defined network, one userland proxy per published port. The network
// service decides; this module only does.

import { writeFileSync } from 'node:fs';
import { EmbeddedDns, type DnsUpstream } from './dns-server.js';
import { HostLinks } from './links.js';
import { applyRuleset, type NftModel } from './nftables.js';
import { PortProxy, type PortProxyOptions } from './port-proxy.js';

export interface NetworkRuntimeLog {
  warn(obj: object, msg: string): void;
}

export class NetworkRuntime {
  readonly links: HostLinks;
  private readonly dns = new Map<string, EmbeddedDns>();
  private readonly proxies = new Map<string, PortProxy[]>();
  /** The model to apply next, and the apply running now (so applies never overlap and bursts coalesce). */
  private pendingModel: NftModel | undefined;
  private applying: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly table: string,
    tag: string,
    private readonly log: NetworkRuntimeLog,
  ) {
    this.links = new HostLinks(tag);
  }

  /** net.ipv4.ip_forward=1, as dockerd sets it: containers reach out through the host. */
  enableForwarding(): void {
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
  }

  /** Replaces the table's content with `model`; resolves once a ruleset at least this new is in. */
  applyRules(model: NftModel): Promise<void> {
    this.pendingModel = model;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.applying) this.applying = this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    while (this.pendingModel) {
      const model = this.pendingModel;
      const waiters = this.waiters;
      this.pendingModel = undefined;
      this.waiters = [];
      try {
        await applyRuleset(this.table, model);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      }
    }
    this.applying = undefined;
  }

  // ---- embedded DNS, one per user-defined network ------------------------------------------------

  async startDns(
    networkId: string,
    opts: { address: string; accepts(client: string): boolean; resolve(name: string, client: string): string[] | undefined; reverse(ip: string): string | undefined; upstreams(): DnsUpstream[] },
  ): Promise<void> {
    if (this.dns.has(networkId)) return;
    this.dns.set(networkId, await EmbeddedDns.listen({ ...opts, port: 53, log: this.log }));
  }

  async stopDns(networkId: string): Promise<void> {
    const server = this.dns.get(networkId);
    this.dns.delete(networkId);
    await server?.close();
  }

  // ---- userland proxies, per container -----------------------------------------------------------

  /** Binds every port or none: on a failure the ones already bound are closed again. */
  async openProxies(containerId: string, ports: Omit<PortProxyOptions, 'log'>[]): Promise<PortProxy[]> {
    const opened: PortProxy[] = [];
    try {
      for (const p of ports) opened.push(await PortProxy.open({ ...p, log: this.log }));
    } catch (err) {
      await Promise.all(opened.map((p) => p.close()));
      throw err;
    }
    if (opened.length > 0) this.proxies.set(containerId, [...(this.proxies.get(containerId) ?? []), ...opened]);
    return opened;
  }

  async closeProxies(containerId: string): Promise<void> {
    const open = this.proxies.get(containerId) ?? [];
    this.proxies.delete(containerId);
    await Promise.all(open.map((p) => p.close()));
  }

  /** kapald stops: DNS servers and proxies go with it; bridges, rules and containers stay. */
  async close(): Promise<void> {
    const dns = [...this.dns.values()];
    const proxies = [...this.proxies.values()].flat();
    this.dns.clear();
    this.proxies.clear();
    await Promise.all([...dns.map((d) => d.close()), ...proxies.map((p) => p.close())]);
    await this.applying?.catch(() => {});
  }
}
