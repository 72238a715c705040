import { eq } from "drizzle-orm";
import type { Context } from "../../context.js";
import { emailDeliveries } from "../../db/tables.js";

export type EmailDeliveryRow = typeof emailDeliveries.$inferSelect;

/** Email deliveries are operational data: admins only. */
export async function loadVisibleEmailDelivery(ctx: Context, id: string): Promise<EmailDeliveryRow | null> {
  if (ctx.viewer.role !== "ADMIN") return null;
  return (await ctx.deps.db.select().from(emailDeliveries).where(eq(emailDeliveries.id, id)).get()) ?? null;
}
