/** The parts of Hetzner Cloud API objects Paddock reads (https://docs.hetzner.cloud). */
export interface HetznerAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  error: { code: string; message: string } | null;
}

export type HetznerServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface HetznerServer {
  id: number;
  name: string;
  status: HetznerServerStatus;
  public_net: { ipv4: { ip: string } | null; ipv6: { ip: string } | null };
  labels: Record<string, string>;
}

export interface HetznerSshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
}

export interface HetznerPagination {
  page: number;
  per_page: number;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

export interface CreateServerInput {
  name: string;
  server_type: string;
  image: string;
  location?: string;
  ssh_keys: (number | string)[];
  user_data: string;
  labels: Record<string, string>;
  start_after_create?: boolean;
}
