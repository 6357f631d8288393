/**
 * A tenant's box name, the same on every attempt: a retry after a crash between "ask the provider" and "record its
 * answer" finds the machine by this name instead of making a second one. Lowercase letters, digits and dashes.
 */
export function boxNameFor(tenantId: string): string {
  return `pdk-${tenantId.toLowerCase()}`;
}

/** The box a workflow step works on: recorded on the workflow by create_box (or given when it was started). */
export function boxIdOf(context: { boxId: string | null; outputs: Record<string, unknown> }): string {
  const created = context.outputs.create_box as { boxId?: string } | undefined;
  const boxId = context.boxId ?? created?.boxId;
  if (!boxId) throw new Error('this workflow has no box yet');
  return boxId;
}
