import type { ForeignKeyShape, SchemaShape, TableShape } from './schema-shape';

const list = (columns: string[]) => `(${columns.join(', ')})`;
const fkKey = (fk: ForeignKeyShape) =>
  `${list(fk.columns)} -> ${fk.referencedTable}${list(fk.referencedColumns)} ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;

function differenceOf(label: string, expected: string[], actual: string[]): string[] {
  const problems: string[] = [];
  const actualSet = new Set(actual);
  const expectedSet = new Set(expected);
  for (const item of expected)
    if (!actualSet.has(item)) problems.push(`${label} ${item} is in schema.prisma, not in the database`);
  for (const item of actual)
    if (!expectedSet.has(item)) problems.push(`${label} ${item} is in the database, not in schema.prisma`);
  return problems;
}

function compareTable(name: string, expected: TableShape, actual: TableShape): string[] {
  const problems: string[] = [];
  for (const [column, want] of Object.entries(expected.columns)) {
    const have = actual.columns[column];
    if (!have) {
      problems.push(`${name}.${column}: column is in schema.prisma, not in the database`);
      continue;
    }
    if (have.type !== want.type)
      problems.push(`${name}.${column}: type is ${have.type} in the database, ${want.type} in schema.prisma`);
    if (have.nullable !== want.nullable) {
      problems.push(
        `${name}.${column}: ${have.nullable ? 'nullable' : 'NOT NULL'} in the database, ${want.nullable ? 'nullable' : 'NOT NULL'} in schema.prisma`,
      );
    }
    if (have.hasDefault !== want.hasDefault) {
      problems.push(
        `${name}.${column}: ${have.hasDefault ? 'has' : 'has no'} default in the database, ${want.hasDefault ? 'has' : 'has no'} database default in schema.prisma`,
      );
    }
  }
  for (const column of Object.keys(actual.columns)) {
    if (!expected.columns[column]) problems.push(`${name}.${column}: column is in the database, not in schema.prisma`);
  }
  if (list(expected.primaryKey) !== list(actual.primaryKey)) {
    problems.push(
      `${name}: primary key is ${list(actual.primaryKey)} in the database, ${list(expected.primaryKey)} in schema.prisma`,
    );
  }
  problems.push(...differenceOf(`${name}: unique`, expected.uniques.map(list), actual.uniques.map(list)));
  problems.push(...differenceOf(`${name}: index`, expected.indexes.map(list), actual.indexes.map(list)));
  problems.push(
    ...differenceOf(`${name}: foreign key`, expected.foreignKeys.map(fkKey), actual.foreignKeys.map(fkKey)),
  );
  return problems;
}

/** Every way the database differs from schema.prisma, one readable line each; empty when they agree. */
export function compareSchemas(expected: SchemaShape, actual: SchemaShape): string[] {
  const problems: string[] = [];
  for (const [name, table] of Object.entries(expected.tables)) {
    const have = actual.tables[name];
    if (!have) problems.push(`table ${name} is in schema.prisma, not in the database`);
    else problems.push(...compareTable(name, table, have));
  }
  for (const name of Object.keys(actual.tables)) {
    if (!expected.tables[name]) problems.push(`table ${name} is in the database, not in schema.prisma`);
  }
  for (const [name, values] of Object.entries(expected.enums)) {
    const have = actual.enums[name];
    if (!have) problems.push(`enum ${name} is in schema.prisma, not in the database`);
    else if (have.join(',') !== values.join(',')) {
      problems.push(
        `enum ${name}: values are [${have.join(', ')}] in the database, [${values.join(', ')}] in schema.prisma`,
      );
    }
  }
  for (const name of Object.keys(actual.enums)) {
    if (!expected.enums[name]) problems.push(`enum ${name} is in the database, not in schema.prisma`);
  }
  return problems;
}
