import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnShape, ForeignKeyAction, ForeignKeyShape, SchemaShape, TableShape } from './schema-shape';

// The slice of Prisma's DMMF (written by prisma/dump-dmmf.mjs at generate time) that the drift check reads.
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: Array<{ name: string }>;
}
export interface DmmfDatamodel {
  enums: Array<{ name: string; dbName?: string | null; values: Array<{ name: string; dbName?: string | null }> }>;
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

export const defaultDmmfPath = join(import.meta.dirname, '../generated/dmmf.json');

export function readDmmf(path: string = defaultDmmfPath): DmmfDatamodel {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`bash scripts/prisma-generate.sh\` (npm test does it)`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as DmmfDatamodel;
}

const ACTIONS: Record<string, ForeignKeyAction> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
  NoAction: 'NO ACTION',
};

function scalarType(field: DmmfField): string {
  const [native, args = []] = field.nativeType ?? [];
  switch (field.type) {
    case 'String':
      if (native === 'Uuid') return 'uuid';
      if (native === 'VarChar') return args.length ? `character varying(${args[0]})` : 'character varying';
      if (native === 'Char') return `character(${args[0] ?? 1})`;
      return 'text';
    case 'Int':
      return 'integer';
    case 'BigInt':
      return 'bigint';
    case 'Float':
      return 'double precision';
    case 'Boolean':
      return 'boolean';
    case 'Json':
      return native === 'Json' ? 'json' : 'jsonb';
    case 'Bytes':
      return 'bytea';
    case 'Decimal':
      return args.length ? `numeric(${args.join(',')})` : 'numeric(65,30)';
    case 'DateTime': {
      const precision = args[0] ?? '3';
      if (native === 'Date') return 'date';
      if (native === 'Timestamptz') return `timestamp(${precision}) with time zone`;
      return `timestamp(${precision}) without time zone`;
    }
    default:
      throw new Error(`drift check: no PostgreSQL type known for Prisma type ${field.type} (field ${field.name})`);
  }
}

/** Defaults Prisma computes in the client (uuid(), cuid(), ...) leave the column without a database default. */
function hasDatabaseDefault(field: DmmfField): boolean {
  if (!field.hasDefaultValue) return false;
  const value = field.default as { name?: string } | undefined;
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.name === 'string') {
    return ['dbgenerated', 'now', 'autoincrement', 'sequence'].includes(value.name);
  }
  return true;
}

export function shapeFromDmmf(dmmf: DmmfDatamodel): SchemaShape {
  const enumDbName = new Map(dmmf.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const modelsByName = new Map(dmmf.models.map((model) => [model.name, model]));
  const column = (model: DmmfModel, fieldName: string): string => {
    const field = model.fields.find((candidate) => candidate.name === fieldName);
    if (!field) throw new Error(`drift check: ${model.name} has no field ${fieldName}`);
    return field.dbName ?? field.name;
  };

  const tables: Record<string, TableShape> = {};
  for (const model of dmmf.models) {
    const columns: Record<string, ColumnShape> = {};
    const foreignKeys: ForeignKeyShape[] = [];
    for (const field of model.fields) {
      if (field.kind === 'scalar' || field.kind === 'enum') {
        const base = field.kind === 'enum' ? (enumDbName.get(field.type) ?? field.type) : scalarType(field);
        columns[field.dbName ?? field.name] = {
          type: field.isList ? `${base}[]` : base,
          // Lists are required in the Prisma client; the migrations make them NOT NULL to match.
          nullable: !field.isRequired && !field.isList,
          hasDefault: hasDatabaseDefault(field),
        };
      } else if (field.kind === 'object' && field.relationFromFields?.length) {
        const target = modelsByName.get(field.type);
        if (!target) throw new Error(`drift check: relation ${model.name}.${field.name} targets unknown ${field.type}`);
        foreignKeys.push({
          columns: field.relationFromFields.map((name) => column(model, name)),
          referencedTable: target.dbName ?? target.name,
          referencedColumns: (field.relationToFields ?? []).map((name) => column(target, name)),
          onDelete: ACTIONS[field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull')] ?? 'NO ACTION',
          onUpdate: ACTIONS[field.relationOnUpdate ?? 'Cascade'] ?? 'NO ACTION',
        });
      }
    }
    const indexesOf = (type: DmmfIndex['type']) =>
      dmmf.indexes
        .filter((index) => index.model === model.name && index.type === type)
        .map((index) => index.fields.map((f) => column(model, f.name)));
    tables[model.dbName ?? model.name] = {
      columns,
      primaryKey: indexesOf('id')[0] ?? [],
      uniques: indexesOf('unique'),
      indexes: indexesOf('normal'),
      foreignKeys,
    };
  }
  const enums = Object.fromEntries(
    dmmf.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
  );
  return { tables, enums };
}
