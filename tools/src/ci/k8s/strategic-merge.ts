// Strategic merge for the subset the overlays use: maps merge key by key; lists of maps that
// carry a `name` (containers, env, ports, volumes) merge item by item on that name; any
// other list, and every scalar, is replaced by the patch; a null in the patch deletes.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNamedList(list: Json[]): list is JsonObject[] {
  return list.length > 0 && list.every((item) => isObject(item) && typeof item.name === 'string');
}

function mergeLists(base: Json[], patch: Json[]): Json[] {
  if (!isNamedList(base) || !isNamedList(patch)) return patch;
  const merged: JsonObject[] = base.map((item) => {
    const update = patch.find((p) => p.name === item.name);
    return update ? strategicMerge(item, update) : item;
  });
  for (const item of patch) if (!base.some((b) => b.name === item.name)) merged.push(item);
  return merged;
}

export function strategicMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    if (value === null) delete result[key];
    else if (isObject(current) && isObject(value)) result[key] = strategicMerge(current, value);
    else if (Array.isArray(current) && Array.isArray(value)) result[key] = mergeLists(current, value);
    else result[key] = value;
  }
  return result;
}
