/** WHERE clauses built up condition by condition, with their parameters in order. */
export class SqlFilter {
  readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  add(condition: string, ...params: unknown[]): this {
    this.conditions.push(condition);
    this.params.push(...params);
    return this;
  }

  /** `column IN (…)` for a non-empty list; nothing for undefined. */
  anyOf(column: string, values: readonly unknown[] | undefined): this {
    if (values) this.add(`${column} IN (${values.map(() => "?").join(", ")})`, ...values);
    return this;
  }

  /** Rows strictly after `position` in the order of `columns` (all ascending or all descending). */
  after(columns: readonly string[], position: readonly unknown[] | undefined, order: "asc" | "desc"): this {
    if (position) this.add(`(${columns.join(", ")}) ${order === "asc" ? ">" : "<"} (${columns.map(() => "?").join(", ")})`, ...position);
    return this;
  }

  get where(): string {
    return this.conditions.length === 0 ? "" : `WHERE ${this.conditions.join(" AND ")}`;
  }
}
