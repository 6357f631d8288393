/**
 * A database schema reduced to what the drift check compares, in one neutral shape that both sides (Prisma's
 * DMMF and the live database) are converted to. Types are spelled as PostgreSQL's format_type() spells them.
 */
export interface ColumnShape {
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

export type ForeignKeyAction = 'CASCADE' | 'RESTRICT' | 'SET NULL' | 'SET DEFAULT' | 'NO ACTION';

export interface ForeignKeyShape {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Column lists of unique constraints / unique indexes (not partial, not on expressions). */
  uniques: string[][];
  /** Column lists of plain indexes (not partial, not on expressions). */
  indexes: string[][];
  foreignKeys: ForeignKeyShape[];
}

export interface SchemaShape {
  tables: Record<string, TableShape>;
  enums: Record<string, string[]>;
}
