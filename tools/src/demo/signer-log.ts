import { getAddress } from 'ethers';

/**
 * Who signed what during a market day: every place of the demo that signs as a participant
 * (a signed request, a read session) appends here, and the summary adds what the chain says
 * each key signed there (commits, finalizations) and which roles the registry gives it. The
 * summary prints one entry per participant address.
 */
export interface SignerActivity {
  readonly address: string;
  /** The demo's name for the participant (mpo-1, dso, …), when it has one. */
  readonly name: string | null;
  /** "MPO of BG-01, BG-02", "TSO", … as the RoleRegistry holds them. */
  readonly roles: readonly string[];
  /** What it signed, in the order first seen: "48 × reading batch (POST /readings)". */
  readonly acts: readonly { readonly what: string; readonly count: number }[];
}

interface Participant {
  name: string | null;
  readonly roles: Map<string, Set<string>>;
  readonly acts: Map<string, number>;
}

export class SignerLog {
  private readonly participants = new Map<string, Participant>();

  /** `address` signed `count` × `what` (a short noun with the door it went through). */
  signed(address: string, what: string, count = 1, name?: string): void {
    const participant = this.participant(address, name);
    participant.acts.set(what, (participant.acts.get(what) ?? 0) + count);
  }

  /** `address` holds `role`, for `scope` (omitted for market-wide roles). */
  holds(address: string, role: string, scope?: string, name?: string): void {
    const scopes = this.participant(address, name).roles;
    const held = scopes.get(role) ?? new Set<string>();
    if (scope !== undefined) held.add(scope);
    scopes.set(role, held);
  }

  /** Names a participant (the demo's label) without recording anything else. */
  name(address: string, name: string): void {
    this.participant(address, name);
  }

  /** Every participant that holds a role or signed something, those that signed first, then by address. */
  activities(): SignerActivity[] {
    return [...this.participants.entries()]
      .map(([address, p]) => ({
        address,
        name: p.name,
        roles: [...p.roles.entries()].map(([role, scopes]) => (scopes.size === 0 ? role : `${role} of ${[...scopes].sort().join(', ')}`)).sort(),
        acts: [...p.acts.entries()].map(([what, count]) => ({ what, count })),
      }))
      .sort((a, b) => Number(b.acts.length > 0) - Number(a.acts.length > 0) || (a.name ?? '~').localeCompare(b.name ?? '~') || a.address.localeCompare(b.address));
  }

  private participant(address: string, name?: string): Participant {
    const key = getAddress(address);
    let participant = this.participants.get(key);
    if (!participant) {
      participant = { name: null, roles: new Map(), acts: new Map() };
      this.participants.set(key, participant);
    }
    if (name !== undefined) participant.name = name;
    return participant;
  }
}

/** Participants of one kind shown in full before the rest are summed up (the demo's holders run into hundreds). */
const SHOWN_PER_KIND = 3;

/**
 * The readable section of the summary: one block per participant; of participants alike
 * (the same roles, scopes aside, and the same kinds of act, e.g. hundreds of capacity
 * holders) the first few in full and one line summing up the others.
 */
export function formatSigners(activities: readonly SignerActivity[]): string[] {
  const lines = ['who signed what (each participant with its own key; roles as the RoleRegistry holds them):'];
  const kinds = new Map<string, SignerActivity[]>();
  for (const activity of activities) {
    const kind = `${activity.roles.map((role) => role.split(' of ')[0]).join(';')}|${activity.acts.map((act) => act.what).join(';')}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), activity]);
  }
  for (const alike of kinds.values()) {
    for (const activity of alike.slice(0, SHOWN_PER_KIND)) {
      lines.push(`  ${activity.address}  ${(activity.name ?? '').padEnd(16)} ${activity.roles.length > 0 ? activity.roles.join('; ') : 'no role'}`);
      const acts = activity.acts.map((act) => `${act.count} × ${act.what}`).join(', ');
      lines.push(`      ${acts || 'signed nothing'}`);
    }
    const rest = alike.slice(SHOWN_PER_KIND);
    if (rest.length === 0) continue;
    const totals = new Map<string, number>();
    for (const activity of rest) for (const act of activity.acts) totals.set(act.what, (totals.get(act.what) ?? 0) + act.count);
    const roles = [...new Set(rest.flatMap((activity) => activity.roles.map((role) => role.split(' of ')[0])))].join('; ') || 'no role';
    lines.push(`  … and ${rest.length} more like these (${roles}), together: ${[...totals].map(([what, count]) => `${count} × ${what}`).join(', ') || 'signed nothing'}`);
  }
  return lines;
}
