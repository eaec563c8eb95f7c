-- marts.as_of_date must hold exactly one date: every model and the ML read it as a scalar.
select count(*) as row_count
from {{ ref('as_of_date') }}
having count(*) <> 1
