// @paddock/db/drift: compares the live database with the Prisma schema (CI's drift check and its test). Its own entry:
// it reads the generated DMMF and information_schema, which nothing at run time needs.
export { compareSchemas } from './compare-schemas';
export { findSchemaDrift } from './find-schema-drift';
export type { SchemaShape } from './schema-shape';
export { shapeFromDatabase, UNMODELLED_TABLES } from './shape-from-database';
export { type DmmfDatamodel, defaultDmmfPath, readDmmf, shapeFromDmmf } from './shape-from-dmmf';
