"""Shape sources: where 3D models come from (procedural, ShapeNet copies, mesh folders, cubes)."""
