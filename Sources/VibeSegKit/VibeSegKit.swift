// What users mean by VibeSeg: pipelines, statistics, previews.
