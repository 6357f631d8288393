import { z } from 'zod';
import { EmailSchema } from './common';

/** owner: the workspace's first user (one per workspace); admin: manages members; member: works; viewer: reads. */
export const MemberRoleSchema = z.enum(['owner', 'admin', 'member', 'viewer']);
export type MemberRole = z.infer<typeof MemberRoleSchema>;
/** What an invite or a role change may grant (the owner stays the one owner). */
export const AssignableMemberRoleSchema = z.enum(['admin', 'member', 'viewer']);

export const MemberSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: MemberRoleSchema,
  status: z.enum(['active', 'invited']),
  lastLoginAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
});
export const ListMembersReplySchema = z.object({ members: z.array(MemberSchema) });

export const InviteMemberBodySchema = z.strictObject({
  email: EmailSchema,
  role: AssignableMemberRoleSchema,
  name: z.string().trim().min(1).max(200).optional(),
});
export const InviteMemberReplySchema = z.object({
  member: MemberSchema,
  invite: z.object({ token: z.string(), expiresAt: z.string().datetime() }),
});
export const ChangeMemberRoleBodySchema = z.strictObject({ role: AssignableMemberRoleSchema });
